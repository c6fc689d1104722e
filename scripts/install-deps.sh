#!/usr/bin/env bash
# Installs what nethost and its tests need on a fresh Debian machine (idempotent): the tools nethost
# drives (iproute2, procps' sysctl, nftables), what the tests use (ping, tcpdump), and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in iproute2 procps iputils-ping kmod nftables tcpdump; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
# Open vSwitch for the OVS tests, which start private instances in their own namespaces: the
# package's own service must never start on the machine (policy-rc.d exit 101 for the install).
dpkg-query -W -f='${Status}' openvswitch-switch 2>/dev/null | grep -q 'install ok installed' || need+=(openvswitch-switch)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  trap '[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -q
  apt-get install -y -q "${need[@]}"
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d && made_policy=
  trap - EXIT
fi
if [ ! -d node_modules/@oclif/core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
