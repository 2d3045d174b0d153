#!/usr/bin/env bash
# Start (or reuse) a throw-away PostgreSQL cluster on loopback for the test suite and print
# its URL. PostgreSQL refuses to run as root, so the cluster belongs to the `postgres`
# user that Debian's package creates.
set -euo pipefail
PGPORT="${BEFFROI_TEST_PG_PORT:-55432}"
PGDIR="${BEFFROI_TEST_PG_DIR:-/tmp/beffroi-test-pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
  echo "PostgreSQL server not installed: run 'apt-get install -y postgresql'" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
if [ ! -f "$PGDIR/PG_VERSION" ]; then
  mkdir -p "$PGDIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  as_pg "$BIN/initdb" -D "$PGDIR" -U postgres -A trust --no-sync >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
    -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$PGPORT/postgres"
