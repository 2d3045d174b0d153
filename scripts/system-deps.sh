#!/usr/bin/env bash
# System packages the test suite needs: the PostgreSQL server (the suite runs on
# SQLite and PostgreSQL) and Debian's Chromium (browser tests drive it with Playwright,
# whose own browser download is never used). Installed with apt-get when running as
# root, else the exact command to run is printed.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)  # the MQTT broker the on-call tests start
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages: run 'sudo apt-get install -y ${missing[*]}'" >&2
  exit 1
fi
