#!/usr/bin/env bash
# Start the development Kafka-protocol broker (Tansu, in memory) on 127.0.0.1:${1:-9092}.
# For development and tests only: production sets SOCAI_KAFKA to an Apache Kafka cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
exec env PYTHONPATH=. "$PYTHON" -m infra.devservices.broker "${1:-9092}"
