// Firewall benchmark (issue 11): a host with N guarded VM ports on one bridge and N port forwards.
//   apply from empty: nethost vs the floor (the same ip operations in one `ip -batch`, the same
//   ruleset in one raw `nft -f`, plus one state read of each);
//   no-op plan: that host vs the same host without the firewall (guards and forwards left out).
// Ratios from one run, medians of --reps repetitions, each in fresh namespaces. Needs root.
//   node bench/firewall.mjs [--n 200] [--reps 5] [--nethost DIR] [--quick]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { arg, QUICK } from './lib/args.mjs';
import { join } from 'node:path';

const N = Number(arg('n', QUICK ? 20 : 200));
const REPS = Number(arg('reps', QUICK ? 1 : 5));
const BIN = join(arg('nethost', '.'), 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'nethost-fwbench-'));

function hostFile(firewall) {
  const L = [
    'version: 1',
    'interfaces:',
    `  br0: {kind: bridge, ports: [${Array.from({ length: N }, (_, i) => `vnet${i}`).join(', ')}], addresses: [192.0.2.1/24]}`,
  ];
  L.push('  up0: {kind: veth, peer: up1, addresses: [198.51.100.1/24]}', '  up1: {kind: veth, peer: up0}');
  for (let i = 0; i < N; i++) {
    const mac = `52:54:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    L.push(
      firewall
        ? `  vnet${i}: {kind: tap, guard: {mac: "${mac}", ips: [192.0.2.${10 + (i % 240)}]}}`
        : `  vnet${i}: {kind: tap}`,
    );
  }
  if (firewall) {
    L.push('firewall:', '  port_forwards:');
    for (let i = 0; i < N; i++)
      L.push(`    - {in: up0, proto: tcp, port: ${10000 + i}, to: "192.0.2.${10 + (i % 240)}:80"}`);
  }
  const f = join(dir, firewall ? 'with.yaml' : 'without.yaml');
  writeFileSync(f, L.join('\n') + '\n');
  return f;
}

let seq = 0;
const ns = () => {
  const name = `nhb-fw-${process.pid}-${seq++}`;
  execFileSync('ip', ['netns', 'add', name]);
  return name;
};
const del = (name) => spawnSync('ip', ['netns', 'del', name]);
const time = (f) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const run = (argv, input) => {
  const r = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && !(argv.includes('plan') && r.status === 2))
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};
// Each repetition starts with an empty run directory, so nethost's listing memo is cold for the
// apply (its first sight of the ruleset, as on a host after boot); the untimed plan after the apply
// writes it (the verification reads JSON only), and the timed no-op plan finds it.
let runDir;
const nethost = (...a) => {
  const r = spawnSync(process.execPath, [BIN, ...a], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, NETHOST_LOCK_DIR: runDir },
  });
  if (r.status !== 0 && !(a[0] === 'plan' && r.status === 2))
    throw new Error(`nethost ${a.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ruleCount = (name) =>
  JSON.parse(run(['ip', 'netns', 'exec', name, 'nft', '-j', 'list', 'ruleset']).stdout).nftables.filter((x) => x.rule)
    .length;

const withFw = hostFile(true);
const withoutFw = hostFile(false);
const t = { nethost: [], floor: [], planWith: [], planWithout: [] };
const loads = [];
let rules;
for (let rep = 0; rep < REPS; rep++) {
  runDir = mkdtempSync(join(dir, 'run-'));
  // The floor's operations: nethost's own plan for an empty namespace, run raw.
  const f = ns();
  const plan = JSON.parse(nethost('plan', withFw, '--netns', f, '--json').stdout);
  const ipLines = plan.operations.filter((o) => o.backend === 'ip').map((o) => o.command.slice(3).join(' '));
  const nftText = plan.operations
    .filter((o) => o.backend === 'nft')
    .map((o) => o.input)
    .join('\n');
  t.floor.push(
    time(() => {
      run(['ip', '-n', f, '-batch', '-'], ipLines.join('\n') + '\n');
      run(['ip', 'netns', 'exec', f, 'nft', '-f', '-'], nftText);
      run(['ip', '-n', f, '-j', '-d', 'address', 'show']);
      run(['ip', 'netns', 'exec', f, 'nft', '-j', 'list', 'ruleset']);
    }),
  );
  const floorRules = ruleCount(f);
  del(f);
  const a = ns();
  loads.push(loadavg()[0]);
  t.nethost.push(time(() => nethost('apply', withFw, '--netns', a, '--yes')));
  rules = ruleCount(a);
  if (rules !== floorRules) throw new Error(`nethost left ${rules} rules, the floor ${floorRules}`);
  if (nethost('plan', withFw, '--netns', a).status !== 0) throw new Error('the no-op plan is not empty');
  t.planWith.push(time(() => nethost('plan', withFw, '--netns', a)));
  const b = ns();
  nethost('apply', withoutFw, '--netns', b, '--yes');
  t.planWithout.push(time(() => nethost('plan', withoutFw, '--netns', b)));
  del(a);
  del(b);
}
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const ms = (x) => `${Math.round(x)} ms`;
const out = [
  `# Firewall benchmark: ${N} guarded VM ports + ${N} port forwards (${rules} rules), ${REPS} repetition(s), medians`,
  '',
  '| measure | nethost | reference | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- |',
  `| apply from empty | ${ms(m.nethost)} | floor (ip -batch + nft -f + state read) ${ms(m.floor)} | ${(m.nethost / m.floor).toFixed(2)}× | ≤ 2× | ${m.nethost <= 2 * m.floor ? 'yes' : 'no'} |`,
  `| no-op plan | ${ms(m.planWith)} | same host without the firewall ${ms(m.planWithout)} | +${Math.round((m.planWith / m.planWithout - 1) * 100)} % | ≤ +30 % | ${m.planWith <= 1.3 * m.planWithout ? 'yes' : 'no'} |`,
  '',
  "The apply has a cold listing memo (an empty run directory for each repetition), the timed no-op plan the memo that the untimed plan before it wrote (the apply's verification reads JSON only, as on a host whose first plan after an apply writes it).",
  '',
  'What each target costs and what changed is in bench/ANALYSIS.md (section "Firewall").',
  '',
  `Each repetition (apply, floor, plan with, plan without; ms): ${t.nethost.map((_, i) => `${Math.round(t.nethost[i])} / ${Math.round(t.floor[i])} / ${Math.round(t.planWith[i])} / ${Math.round(t.planWithout[i])} (load ${loads[i].toFixed(1)})`).join('; ')}.`,
  '',
];
console.log(out.join('\n'));
if (!QUICK)
  writeFileSync(
    join(import.meta.dirname, 'FIREWALL.md'),
    out.join('\n') + `\nMeasured ${new Date().toISOString()}; load average ${loadavg()[0].toFixed(2)} (2 CPUs).\n`,
  );
rmSync(dir, { recursive: true, force: true }); // the files, and each repetition's run directory (memo)
