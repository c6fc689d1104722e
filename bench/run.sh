#!/usr/bin/env bash
# nethost benchmarks, side by side with ifupdown2 and the raw `ip -batch` floor. One command:
#
#   bash bench/run.sh            full run (~15 min): writes bench/RESULTS.md and bench/results.json
#   bash bench/run.sh --quick    smallest size, one repetition: checks every tool ran and left the
#                                expected state; asserts no time (CI); writes bench/out/quick/
#
# Other options are passed to bench/run.mjs (see `node bench/run.mjs --help`).
# Needs root (network namespaces). Every namespace it makes is named nhb-<pid>-* and deleted,
# whatever happens; nothing runs in the root namespace but reads (`ip -br link`, `ip route`) that
# check it is left unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: needs root (it creates network namespaces)" >&2; exit 1; }

# --- what it compares against, from Debian ---------------------------------------------------
# ifupdown2 replaces ifupdown and its postinst enables networking.service: a policy-rc.d that forbids
# every service start stays in place during the install (ours only if there was none). GNU time
# measures peak RSS.
need=()
for p in ifupdown2 time iproute2 procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]} from Debian"
  root_before=$(ip -br link; ip route; ip -6 route)
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  ( export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ) || { [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$root_before" != "$(ip -br link; ip route; ip -6 route)" ]; then
    echo "bench: the root namespace's links or routes changed during the install; stopping" >&2
    exit 1
  fi
fi

# --- nethost, as the tree is now: a private build, so a concurrent `npm run build` cannot change it mid-run
src=src
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nethost-src) src=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -d node_modules/@oclif/core ] || npm ci --no-audit --no-fund
snap=bench/out/nethost; [ "$src" = src ] || snap=bench/out/nethost-alt
rm -rf "$snap"
mkdir -p "$snap"
cp -r "$src" "$snap/src"
cp -r bin commands build.mjs package.json examples "$snap/"
# The build warms its code cache up on the captured live states, as a real build does.
mkdir -p "$snap/test/fixtures" && cp -r test/fixtures/host "$snap/test/fixtures/"
ln -s "$PWD/node_modules" "$snap/node_modules"
(cd "$snap" && node build.mjs)
{
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "dirty=$(git status --porcelain -- "$src" 2>/dev/null | wc -l | tr -d ' ')"
  echo "src=$src"
} > "$snap/BUILD_INFO"

# --- run; whatever happens, no namespace of ours is left behind ---------------------------------
root_before=$(ip -br link; ip route; ip -6 route)
node bench/run.mjs --nethost "$snap" ${args[@]+"${args[@]}"} &
pid=$!
cleanup() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^nhb-$pid-" | while read -r ns; do
    ip netns del "$ns" 2>/dev/null || true
  done || true  # no namespace left: grep finds nothing, which is fine (pipefail)
}
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; cleanup; exit 130' INT TERM
status=0
wait $pid || status=$?
trap - INT TERM
cleanup
if [ "$root_before" != "$(ip -br link; ip route; ip -6 route)" ]; then
  echo "bench: WARNING: the root namespace's links or routes differ from before the run (another process, or a bug here)" >&2
  status=1
fi
exit $status
