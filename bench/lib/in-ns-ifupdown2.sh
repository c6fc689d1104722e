#!/bin/sh
# Runs one ifupdown2 command inside network namespace NS, fenced off from the host:
#   in-ns-ifupdown2.sh NS STATEDIR INTERFACES_FILE COMMAND [ARGS...]
# `ip netns exec` gives the command its own mount namespace (a slave of the host's), so the bind
# mounts below are invisible to the host: ifupdown2's fixed paths — its lock and state under
# /run/network and /var/tmp/network, its config file and /etc/network/interfaces (ifreload reads only
# that one) — point at this run's own copies. The host's files are never read or written.
set -eu
ns=$1 state=$2 ifaces=$3
shift 3
mkdir -p "$state/run" "$state/var"
[ -f "$state/ifupdown2.conf" ] || {
  # Debian's config, with hook scripts off: /etc/network/if-*.d holds other packages' scripts
  # (bridge-utils, openvswitch) that are not part of ifupdown2 and must not run here.
  sed -e 's/^addon_scripts_support=.*/addon_scripts_support=0/' /etc/network/ifupdown2/ifupdown2.conf > "$state/ifupdown2.conf"
}
# The mount points must exist on the host for the bind mounts; creating empty directories is harmless.
mkdir -p /run/network /var/tmp/network
exec ip netns exec "$ns" /bin/sh -c '
  set -e
  mount --bind "$1/run" /run/network
  mount --bind "$1/var" /var/tmp/network
  mount --bind "$1/ifupdown2.conf" /etc/network/ifupdown2/ifupdown2.conf
  mount --bind "$2" /etc/network/interfaces
  shift 2
  PATH=/usr/sbin:/usr/bin:/sbin:/bin exec "$@"
' sh "$state" "$ifaces" "$@"
