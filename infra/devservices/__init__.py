"""Throw-away servers for development and tests, started on 127.0.0.1 only."""
