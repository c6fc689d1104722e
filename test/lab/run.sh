#!/usr/bin/env bash
# Kernel lab: boot ONE throwaway QEMU guest (Debian's full kernel) and run the lab suite inside it:
#   bash test/lab/run.sh                        # every test/lab/**/*.lab.test.ts
#   bash test/lab/run.sh test/lab/kernel.lab.test.ts [more files, vitest options...]
# Streams vitest's output and exits with its status. 124 = timed out (guest killed),
# 125 = the guest failed to boot or died. Env: NETHOST_LAB_TIMEOUT (s, default 3600),
# NETHOST_LAB_MEM (MB, default 2048), NETHOST_LAB_SMP (default 2), NETHOST_LAB_VERBOSE=1
# (boot log and timings on stderr).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 125

timeout_s=${NETHOST_LAB_TIMEOUT:-3600}
mem=${NETHOST_LAB_MEM:-2048}
smp=${NETHOST_LAB_SMP:-2}
vflag=(); [ "${NETHOST_LAB_VERBOSE:-0}" = 1 ] && vflag=(-v)

say() { printf 'kernel lab: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "guest failed to boot: must run as root (the guest shares / over 9p); got uid $(id -u)"; exit 125; }
[ -f node_modules/vitest/package.json ] || { say "node_modules/vitest missing: run npm ci first"; exit 125; }

# node_modules/vitest/vitest.mjs is what `npx vitest` resolves to; calling it directly saves
# ~20 s of npm start-up under emulation.
vitest=(node node_modules/vitest/vitest.mjs)
[ -f node_modules/vitest/vitest.mjs ] || vitest=(npx --no-install vitest)

t0=$(date +%s)
export NETHOST_LAB=1
bash "$here/vm-run" "${vflag[@]}" --timeout "$timeout_s" --mem "$mem" --smp "$smp" -- \
  env NETHOST_LAB=1 "${vitest[@]}" run --config test/lab/vitest.config.ts "$@" &
vpid=$!
# Background jobs of a non-interactive shell ignore SIGINT: pass every stop request on as TERM,
# so vm-run always stops its guest and cleans up.
trap 'kill -TERM "$vpid" 2>/dev/null' INT TERM HUP
while :; do
  wait "$vpid"; rc=$?
  kill -0 "$vpid" 2>/dev/null || break
done
dt=$(( $(date +%s) - t0 ))
case $rc in
  0) say "passed in ${dt}s" ;;
  124) say "timed out after ${timeout_s}s (NETHOST_LAB_TIMEOUT); the guest was killed" ;;
  125) say "guest failed to boot or died before vitest finished (vm-run exit 125, after ${dt}s;" \
           "see the vm-run messages above; NETHOST_LAB_VERBOSE=1 shows the boot log;" \
           "bash test/lab/setup.sh reinstalls the packages and rebuilds the initramfs)" ;;
  129|130|143) say "interrupted after ${dt}s; the guest was stopped" ;;
  *) say "vitest exited $rc after ${dt}s" ;;
esac
exit $rc
