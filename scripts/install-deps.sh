#!/usr/bin/env bash
# Installs what nethost and its tests need on a fresh Debian machine (idempotent): the tools nethost
# drives (iproute2, procps' sysctl, nftables), what the tests use (ping, tcpdump), and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in iproute2 procps iputils-ping kmod nftables tcpdump; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi
if [ ! -d node_modules/@oclif/core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
