"""Wiring (hạ tầng): settings, the event store, keys, the tamper-evident ledger, dev servers
and the ``socai`` command line. infra may import every other layer; nothing imports infra
except tests, benchmarks and entry points."""
