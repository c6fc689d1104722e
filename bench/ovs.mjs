// Open vSwitch benchmark (issue 12): one OVS bridge (userspace datapath) with N tagged ports — taps
// nethost creates — and M VXLAN tunnels.
//   apply from empty: nethost vs the floor (nethost's own plan run raw: the taps' `ip -batch`, the one
//     `ovs-vsctl` transaction, the bridge's `ip link set up`, plus one state read: `ip -j -d address
//     show` and the OVS read below);
//   no-op plan: nethost vs the OVS read alone (the `ovs-vsctl --format=json list Bridge/Port/Interface`
//     nethost does, run raw).
// Each repetition in fresh namespaces with fresh private OVS instances (test/helpers/ovs.ts, bundled
// here with esbuild); ratios from one run, medians of --reps. Needs root.
//   node bench/ovs.mjs [--ports 200] [--tunnels 50] [--reps 5] [--nethost DIR] [--quick] [--profile DIR] [--trace]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { arg, QUICK } from './lib/args.mjs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const PORTS = Number(arg('ports', QUICK ? 20 : 200));
const TUNNELS = Number(arg('tunnels', QUICK ? 5 : 50));
const REPS = Number(arg('reps', QUICK ? 1 : 5));
const TREE = resolve(arg('nethost', '.'));
const BIN = join(TREE, 'bin', 'run.js');
const PROFILE = arg('profile', null);
const TRACE = process.argv.includes('--trace');
const dir = mkdtempSync(join(tmpdir(), 'nethost-ovsbench-'));

// The private OVS of the tests (this repository's) and the OVS read nethost does (the tree under test's).
const helper = JSON.stringify(join(import.meta.dirname, '..', 'test', 'helpers', 'ovs.ts'));
const reader = JSON.stringify(join(TREE, 'src', 'backends', 'ovs', 'index.ts'));
buildSync({
  stdin: {
    contents: `export { startOvs, stopOvs } from ${helper};\nexport { readArgv, resolveDb } from ${reader};\n`,
    resolveDir: TREE,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(dir, 'helpers.mjs'),
  logLevel: 'error',
});
const { startOvs, stopOvs, readArgv, resolveDb } = await import(join(dir, 'helpers.mjs'));

function hostFile(ovs = true) {
  // Written as examples/ovs-vm-host.yaml is: the bridge's ports one a line.
  const L = ['version: 1', 'interfaces:'];
  if (ovs) L.push('  br0:', '    kind: ovs-bridge', '    datapath: netdev', '    ports:');
  if (ovs) for (let i = 0; i < PORTS; i++) L.push(`      vnet${i}: {tag: ${10 + (i % 50)}}`);
  if (ovs) for (let i = 0; i < TUNNELS; i++) L.push(`      vx${i}: {}`);
  for (let i = 0; i < PORTS; i++) L.push(`  vnet${i}: {kind: tap}`);
  if (ovs)
    for (let i = 0; i < TUNNELS; i++)
      L.push(`  vx${i}: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.${2 + (i % 250)}, key: ${1000 + i}}`);
  const f = join(dir, ovs ? 'host.yaml' : 'taps.yaml');
  writeFileSync(f, L.join('\n') + '\n');
  return f;
}

let seq = 0;
const started = [];
/** A fresh namespace with its own OVS. */
function sw() {
  const name = `nhb-ovs-${process.pid}-${seq++}`;
  execFileSync('ip', ['netns', 'add', name]);
  const ovs = startOvs(name);
  started.push(ovs);
  return ovs;
}
function drop(ovs) {
  stopOvs(ovs);
  spawnSync('ip', ['netns', 'del', ovs.netns]);
  started.splice(started.indexOf(ovs), 1);
}
const time = (f) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const run = (argv, input, env) => {
  const r = spawnSync(argv[0], argv.slice(1), {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: env ? { ...process.env, ...env } : undefined,
  });
  if (r.status !== 0 && !(argv.includes('plan') && r.status === 2))
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};
const nethost = (ovs, ...a) => run([process.execPath, BIN, ...a, '--netns', ovs.netns, '--ovsdb', ovs.db]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** nethost's OVS read, exactly (its argv from the tree under test). */
const ovsRead = (ovs) => run(readArgv(resolveDb({ ovsdb: ovs.db })));
/** Port rows that are not a bridge's local port, and how many are tagged. */
function ports(ovs) {
  const rows = ovs.rows('Port').filter((p) => !ovs.rows('Bridge').some((b) => b.name === p.name));
  return { ports: rows.length, tagged: rows.filter((p) => typeof p.tag === 'number').length };
}

const file = hostFile();
const taps = hostFile(false);
const t = { nethost: [], floor: [], floorOvs: [], plan: [], read: [], tapsApply: [], tapsPlan: [] };
let counts;
let ops;
try {
  for (let rep = 0; rep < REPS; rep++) {
    // The floor's operations: nethost's own plan for an empty namespace, each run of one backend as
    // one raw process, in the plan's order.
    const f = sw();
    const plan = JSON.parse(nethost(f, 'plan', file, '--json').stdout);
    const groups = [];
    for (const o of plan.operations) {
      if (groups.at(-1)?.backend !== o.backend) groups.push({ backend: o.backend, ops: [] });
      groups.at(-1).ops.push(o.command);
    }
    ops = groups.map((g) => `${g.ops.length} ${g.backend}`).join(', ');
    if (groups.filter((g) => g.backend === 'ovs').length !== 1)
      throw new Error(`expected one OVS transaction, the plan has: ${ops}`);
    let ovsPart = 0;
    t.floor.push(
      time(() => {
        for (const g of groups) {
          if (g.backend === 'ip')
            run(['ip', '-n', f.netns, '-batch', '-'], g.ops.map((c) => c.slice(3).join(' ')).join('\n') + '\n');
          else if (g.backend === 'ovs')
            ovsPart += time(() => run([...g.ops[0].slice(0, 3), ...g.ops.flatMap((c) => c.slice(3))]));
          else throw new Error(`unexpected backend ${g.backend}`);
        }
        run(['ip', '-n', f.netns, '-j', '-d', 'address', 'show']);
        ovsPart += time(() => ovsRead(f));
      }),
    );
    t.floorOvs.push(ovsPart);
    // The floor must leave what nethost would: nethost finds nothing to do.
    const drift = spawnSync(process.execPath, [BIN, 'drift-check', file, '--netns', f.netns, '--ovsdb', f.db], {
      encoding: 'utf8',
    });
    if (drift.status !== 0)
      throw new Error(
        `the floor's result is not nethost's (drift-check exited ${drift.status}): ${drift.stdout}${drift.stderr}`,
      );
    const floorCounts = ports(f);
    drop(f);

    const a = sw();
    t.nethost.push(time(() => nethost(a, 'apply', file, '--yes')));
    counts = ports(a);
    if (JSON.stringify(counts) !== JSON.stringify(floorCounts))
      throw new Error(`nethost left ${JSON.stringify(counts)}, the floor ${JSON.stringify(floorCounts)}`);
    if (counts.ports !== PORTS + TUNNELS || counts.tagged !== PORTS)
      throw new Error(`expected ${PORTS + TUNNELS} ports, ${PORTS} tagged; OVS has ${JSON.stringify(counts)}`);
    if (nethost(a, 'plan', file).status !== 0) throw new Error('the no-op plan is not empty');
    t.plan.push(time(() => nethost(a, 'plan', file)));
    t.read.push(time(() => ovsRead(a)));
    if (TRACE && rep === 0) {
      // A timeline of one apply from empty (NETHOST_TRACE: each child process, each phase).
      const b = sw();
      const r = run([process.execPath, BIN, 'apply', file, '--yes', '--netns', b.netns, '--ovsdb', b.db], undefined, {
        NETHOST_TRACE: '1',
      });
      const show = (r) =>
        console.log(
          r.stderr
            .split('\n')
            .filter((l) => l.startsWith('nethost trace: '))
            .map((l) => l.slice(15).replaceAll(b.netns, 'NS').replaceAll(b.db, 'DB'))
            .join('\n'),
        );
      show(r);
      run([process.execPath, BIN, 'plan', file, '--netns', b.netns, '--ovsdb', b.db]);
      console.log('-- no-op plan');
      show(
        run([process.execPath, BIN, 'plan', file, '--netns', b.netns, '--ovsdb', b.db], undefined, {
          NETHOST_TRACE: '1',
        }),
      );
      drop(b);
    }
    if (PROFILE && rep === 0) {
      for (const [what, argv] of [['plan', ['plan', file]]])
        run([
          process.execPath,
          '--cpu-prof',
          `--cpu-prof-dir=${PROFILE}`,
          `--cpu-prof-name=${what}.cpuprofile`,
          BIN,
          ...argv,
          '--netns',
          a.netns,
          '--ovsdb',
          a.db,
        ]);
      const b = sw();
      run([
        process.execPath,
        '--cpu-prof',
        `--cpu-prof-dir=${PROFILE}`,
        '--cpu-prof-name=apply.cpuprofile',
        BIN,
        'apply',
        file,
        '--yes',
        '--netns',
        b.netns,
        '--ovsdb',
        b.db,
      ]);
      drop(b);
    }
    drop(a);

    // The same taps without Open vSwitch (no OVSDB there): what nethost costs besides OVS.
    const c = `nhb-ovs-${process.pid}-${seq++}`;
    execFileSync('ip', ['netns', 'add', c]);
    try {
      const plain = (...x) => run([process.execPath, BIN, ...x, '--netns', c, '--ovsdb', `unix:${dir}/none.sock`]);
      t.tapsApply.push(time(() => plain('apply', taps, '--yes')));
      if (plain('plan', taps).status !== 0) throw new Error('the no-op plan of the taps is not empty');
      t.tapsPlan.push(time(() => plain('plan', taps)));
    } finally {
      spawnSync('ip', ['netns', 'del', c]);
    }
  }
} finally {
  for (const o of [...started]) drop(o);
  rmSync(dir, { recursive: true, force: true });
}

const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const ms = (x) => `${Math.round(x)} ms`;
const ratio = (x, y) => (x / y).toFixed(2);
const met = (x, y, target) => (x / y <= target ? 'met' : 'missed');
const out = [
  `# Open vSwitch benchmark: one bridge, ${PORTS} tagged tap ports + ${TUNNELS} VXLAN tunnels, ${REPS} repetition(s), medians`,
  '',
  `The floor is nethost's own plan run raw (${ops}: one \`ip -batch\` per run of ip operations, the one`,
  '`ovs-vsctl` transaction) plus one state read (`ip -j -d address show` and the OVS read below). The OVS',
  "read is nethost's `ovs-vsctl --format=json -- list Bridge -- list Port -- list Interface` (its columns), run raw.",
  '',
  '| measure | nethost | reference | ratio | target | |',
  '| --- | --- | --- | --- | --- | --- |',
  `| apply from empty | ${ms(m.nethost)} | floor ${ms(m.floor)} | ${ratio(m.nethost, m.floor)}× | ≤ 1.5× | ${met(m.nethost, m.floor, 1.5)} |`,
  `| no-op plan | ${ms(m.plan)} | the OVS read alone ${ms(m.read)} | ${ratio(m.plan, m.read)}× | ≤ 2× | ${met(m.plan, m.read, 2)} |`,
  '',
  `What Open vSwitch adds, against the same ${PORTS} taps without OVS (no bridge, no tunnels, no OVSDB; not a target):`,
  '',
  "| measure | with OVS | taps only | OVS's share | reference |",
  '| --- | --- | --- | --- | --- |',
  `| apply from empty | ${ms(m.nethost)} | ${ms(m.tapsApply)} | ${ms(m.nethost - m.tapsApply)} | the floor's OVS transaction + OVS read ${ms(m.floorOvs)} |`,
  `| no-op plan | ${ms(m.plan)} | ${ms(m.tapsPlan)} | ${ms(m.plan - m.tapsPlan)} | the OVS read ${ms(m.read)} |`,
  '',
  'What each target costs, what changed and what bounds the rest is in bench/ANALYSIS.md (section "Open vSwitch").',
  '',
  `All runs (ms): apply ${t.nethost.map(Math.round).join(', ')}; floor ${t.floor.map(Math.round).join(', ')}; plan ${t.plan.map(Math.round).join(', ')}; OVS read ${t.read.map(Math.round).join(', ')}; taps-only apply ${t.tapsApply.map(Math.round).join(', ')}, plan ${t.tapsPlan.map(Math.round).join(', ')}.`,
  '',
];
console.log(out.join('\n'));
const commit =
  spawnSync('git', ['-C', TREE, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
const dirty = spawnSync('git', ['-C', TREE, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim()
  ? ' (src/ changed since)'
  : '';
if (!QUICK)
  writeFileSync(
    join(import.meta.dirname, 'OVS.md'),
    out.join('\n') +
      `\nMeasured ${new Date().toISOString()} on commit ${commit}${dirty}; load average ${loadavg()[0].toFixed(2)} (2 CPUs).\n`,
  );
