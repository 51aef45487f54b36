"""Criminal proceedings of trafficking cases (vụ án mua bán người)."""
