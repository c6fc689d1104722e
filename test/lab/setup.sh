#!/usr/bin/env bash
# Kernel lab setup (idempotent): install the lab's Debian packages if any is missing, then
# (re)build the cached initramfs (busybox + virtio/9p/overlay modules of the newest kernel).
#   bash test/lab/setup.sh
# Not required before test/lab/run.sh (vm-run installs and builds on demand), but does it
# up front, e.g. in CI before the timed part.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ "$(id -u)" = 0 ] || { echo "setup.sh: must run as root" >&2; exit 1; }

# qemu + a full Debian kernel for the guest; busybox-static for the initramfs; kmod (modprobe
# resolves the boot modules' deps), cpio, gzip, xz/zstd (Debian compresses modules) to build
# it; iproute2, nftables, iputils-ping, openvswitch-switch (kernel datapath in the guest),
# openvswitch-ipsec (ovs-monitor-ipsec) with strongswan (its IKE daemon, charon) for the tests.
PKGS=(qemu-system-x86 linux-image-amd64 busybox-static kmod cpio gzip xz-utils zstd
      iproute2 nftables iputils-ping openvswitch-switch openvswitch-ipsec strongswan)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # openvswitch-switch, openvswitch-ipsec and strongswan must not start their services on this
  # machine (the lab runs OVS, ovs-monitor-ipsec and charon in the guest only).
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  trap '[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  # apt-get update only if the lists are missing or the install fails on stale lists
  if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then apt-get update -q; fi
  apt-get install -y -q -o DPkg::Lock::Timeout=600 "${PKGS[@]}" \
    || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=600 "${PKGS[@]}"; }
fi
[ -n "${made_policy:-}" ] && rm -f /usr/sbin/policy-rc.d && made_policy=
exec bash "$here/vm-run" --setup
