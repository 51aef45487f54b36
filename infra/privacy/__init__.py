"""Personal data rights (quyền của chủ thể dữ liệu): per-person keys and erasure."""
