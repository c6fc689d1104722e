#!/usr/bin/env bash
# Demo on a throwaway namespace: installs and builds nethost, creates a namespace with one existing
# "NIC" (a veth end), and shows plan → apply → drift-check → drift → clean-up on examples/.
# Touches nothing outside the namespaces it creates, and deletes them at the end (even on failure).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh >/dev/null
file=${1:-examples/vxlan-overlay-a.yaml}
ns=nethost-demo-$$; peer=nethost-demo-peer-$$
trap 'ip netns del "$ns" 2>/dev/null; ip netns del "$peer" 2>/dev/null' EXIT
ip netns add "$ns"; ip netns add "$peer"
ip -n "$ns" link add uplink type veth peer name uplink netns "$peer"
nh() { echo; echo "\$ nethost $*"; ./bin/run.js "$@"; }
nh validate "$file"
nh plan "$file" --netns "$ns" || true
nh apply "$file" --netns "$ns" --yes
nh drift-check "$file" --netns "$ns" && echo "(exit 0: in sync)"
echo; echo "\$ ip -n $ns link set dev vx100 nomaster   # someone changes the host behind nethost's back"
ip -n "$ns" link set dev vx100 nomaster
nh drift-check "$file" --netns "$ns" || echo "(exit $?: drift)"
nh apply "$file" --netns "$ns" --yes
printf 'version: 1\n' > "/tmp/nethost-demo-empty-$$.yaml"
nh apply "/tmp/nethost-demo-empty-$$.yaml" --netns "$ns" --yes
rm -f "/tmp/nethost-demo-empty-$$.yaml"
echo; echo "demo done; namespaces $ns and $peer are deleted on exit"
