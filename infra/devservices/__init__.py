"""Servers for development and tests only (never used in production): the Kafka-protocol
broker. Production points ``SOCAI_KAFKA`` at an Apache Kafka cluster instead."""
