#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for tests and development under var/postgres (port 55432, trust
# auth on loopback only) from the Debian packages' binaries, and prints its admin URL. Idempotent.
# Where VORORT_TEST_POSTGRES_URL is already set, it only prints that.
set -euo pipefail
if [ -n "${VORORT_TEST_POSTGRES_URL:-}" ]; then echo "$VORORT_TEST_POSTGRES_URL"; exit 0; fi
here=$(cd "$(dirname "$0")/../.." && pwd)
port=${VORORT_PG_PORT:-55432}
base=${VORORT_PG_DATA:-$here/var/postgres}
data="$base/data"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bindir" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
mkdir -p "$base"
if [ "$(id -u)" = 0 ]; then chown postgres "$base"; fi
if [ ! -f "$data/PG_VERSION" ]; then
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '/tmp'"
    echo "max_connections = 300"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  } >> "$data/postgresql.conf"
fi
# A cluster made before keeps the port it was made with (its postgresql.conf), whatever VORORT_PG_PORT says now.
made_with=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$data/postgresql.conf" | tail -n 1)
port=${made_with:-$port}
if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w start >/dev/null; then
    if tail -n 20 "$base/server.log" | grep -q "Address already in use"; then
      echo "port $port is taken, most likely by the PostgreSQL of another checkout (make bench, make run and the" >&2
      echo "tests leave theirs running): stop it (pg_ctl -D <that checkout>/var/postgres/data stop), or give this" >&2
      echo "checkout a cluster of its own: VORORT_PG_PORT=<free port> VORORT_PG_DATA=<new folder>" >&2
    fi
    echo "PostgreSQL did not start; its log: $base/server.log" >&2
    exit 1
  fi
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
