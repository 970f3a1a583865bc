#!/usr/bin/env bash
# Installs what the test suite needs from Debian when it is missing: the servers it starts
# as throwaway instances (postgresql, redis-server) and the browser its GraphiQL test drives
# (chromium). Nothing is started here and no system service is enabled:
# test/support/services.ts runs its own instances.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }
have_chromium() { command -v chromium >/dev/null 2>&1; }

if have_postgres && have_redis && have_chromium; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need PostgreSQL and Redis server binaries and Chromium. Install them with:" >&2
  echo "  sudo apt-get install -y postgresql redis-server chromium" >&2
  exit 1
fi

echo "Installing PostgreSQL, Redis and Chromium (Debian packages) for the test suite..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql redis-server chromium >/dev/null
# The packages start system-wide servers on their default ports; the tests do not use them.
service redis-server stop >/dev/null 2>&1 || true
service postgresql stop >/dev/null 2>&1 || true
have_postgres && have_redis && have_chromium
