#!/usr/bin/env bash
# Stops the private PostgreSQL cluster that start-local.sh runs under var/postgres (or VORORT_PG_DATA), so
# that its port is free for the next checkout on this machine. A no-op when it does not run.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data="${VORORT_PG_DATA:-$here/var/postgres}/data"
[ -f "$data/postmaster.pid" ] || exit 0
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$bindir/pg_ctl" -D "$data" stop -m fast >/dev/null
else
  "$bindir/pg_ctl" -D "$data" stop -m fast >/dev/null
fi
