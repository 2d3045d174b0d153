#!/usr/bin/env bash
# stop | start | destroy the throw-away cluster of scripts/test-postgres.sh (same env vars).
set -euo pipefail
PGPORT="${BEFFROI_TEST_PG_PORT:-55432}"
PGDIR="${BEFFROI_TEST_PG_DIR:-/tmp/beffroi-test-pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$1" in
  stop) as_pg "$BIN/pg_ctl" -D "$PGDIR" -m fast -w stop >/dev/null ;;
  start) as_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
      -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ;;
  destroy) as_pg "$BIN/pg_ctl" -D "$PGDIR" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$PGDIR" ;;
esac
