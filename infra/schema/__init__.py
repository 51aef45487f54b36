"""Schema versions (phiên bản lược đồ) of the SQL tables socai creates itself, and the store's
identity. See docs/ARCHITECTURE.md, "Schema versions, identity and migrations"."""
