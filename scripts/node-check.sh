#!/usr/bin/env bash
# The console is built with Node.js (≥ 20.19, for Vite) and npm from the machine; when
# they are missing and we are root, Debian's packages are installed.
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "Node.js and npm are needed to build the console: run 'sudo apt-get install -y nodejs npm'" >&2
    exit 1
  fi
fi
node -e '
const [maj, min] = process.versions.node.split(".").map(Number);
if (maj < 20 || (maj === 20 && min < 19)) {
  console.error(`Node.js ${process.versions.node} is too old to build the console: 20.19 or newer is needed`);
  process.exit(1);
}'
