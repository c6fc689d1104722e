#!/usr/bin/env bash
# The full test suite: the type check and the linter, unit + host-kernel integration tests, the kernel-lab guest suite, and the
# benchmark harness at its smallest size (it only checks that every tool ran; it asserts no time).
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the integration and lab tests need root (network namespaces)"; exit 1; }
out=$(mktemp -d)
status=0
passed=0; failed=0
count() { # vitest JSON report → totals
  node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites||0) + (r.success?0:(r.numFailedTests?0:1)))' "$1"
}
echo "== type check and lint (tsc --noEmit, biome)"
if npx tsc --noEmit; then passed=$((passed+1)); else failed=$((failed+1)); status=1; fi
if npx biome check --error-on-warnings .; then passed=$((passed+1)); else failed=$((failed+1)); status=1; fi

# The single executable and the Debian package, from this tree: test/integration/exe.test.ts runs the
# one, test/lab/install.lab.test.ts installs the other in the lab guest, which cannot build it.
echo "== build: dist/nethost and its .deb (npm run build:deb)"
npm run build:deb --silent || { echo "npm run build:deb failed"; failed=$((failed+1)); status=1; }

echo "== unit and host-kernel integration tests"
npx vitest run --reporter=default --reporter=json --outputFile="$out/host.json" || status=1
if [ -s "$out/host.json" ]; then read -r p f < <(count "$out/host.json"); passed=$((passed+p)); failed=$((failed+f)); else failed=$((failed+1)); fi

if [ -x test/lab/run.sh ] && [ "${NETHOST_SKIP_LAB:-}" != 1 ]; then
  echo "== kernel lab (QEMU guest with Debian's full kernel)"
  # The guest cannot write to the host (its view of / is read-only): count from vitest's summary line.
  NO_COLOR=1 bash test/lab/run.sh 2>&1 | tee "$out/lab.log"; [ "${PIPESTATUS[0]}" = 0 ] || status=1
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$out/lab.log" | grep -E '^ *Tests +' | tail -1)
  p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
  if [ -z "$summary" ]; then echo "kernel lab: no test summary (the guest failed?)"; f=1; fi
  passed=$((passed+p)); failed=$((failed+f))
fi

if [ -f bench/run.sh ] && [ "${NETHOST_SKIP_BENCH:-}" != 1 ]; then
  echo "== benchmark harness (quick mode: runs every tool once, asserts no time)"
  if bash bench/run.sh --quick; then passed=$((passed+1)); else failed=$((failed+1)); status=1; fi
fi
rm -rf "$out"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && exit $status || exit 1
