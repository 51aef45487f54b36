"""Throw-away servers for development and tests, started on 127.0.0.1 only: PostgreSQL and
the Kafka-protocol broker. Never used in production: there ``SOCAI_STORE`` points at a real
PostgreSQL and ``SOCAI_KAFKA`` at an Apache Kafka cluster."""
