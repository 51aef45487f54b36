"""One module per revision, applied in order by infra.schema.store.upgrade."""
