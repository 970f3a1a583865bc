#!/usr/bin/env bash
# Installs the servers the test suite starts as throwaway instances (Debian's
# postgresql and redis-server) when they are missing. Nothing is started here and
# no system service is enabled: test/support/services.ts runs its own instances.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

if have_postgres && have_redis; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need PostgreSQL and Redis server binaries. Install them with:" >&2
  echo "  sudo apt-get install -y postgresql redis-server" >&2
  exit 1
fi

echo "Installing PostgreSQL and Redis (Debian packages) for the test suite..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null
# The packages start system-wide servers on their default ports; the tests do not use them.
service redis-server stop >/dev/null 2>&1 || true
service postgresql stop >/dev/null 2>&1 || true
have_postgres && have_redis
