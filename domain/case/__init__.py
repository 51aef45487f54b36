"""The case (hồ sơ quản lý): one person received, followed from reception to closure."""
