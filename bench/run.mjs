#!/usr/bin/env node
// nethost benchmarks: nethost vs ifupdown2 vs the raw `ip -batch` floor, in fresh network namespaces.
// Started by bench/run.sh (which installs ifupdown2 and builds nethost); see bench/README.md.
//
// Every (tool, N, repetition) gets its own fresh namespace holding only lo and the underlay veth
// "uplink" (its peer sits in a watcher namespace, so the harness can tell when the kernel has
// finished tearing a namespace down). In it the tool goes through one life cycle, each step timed
// and its result checked against the kernel:
//   apply   from empty: N bridges, each with a VXLAN port, an address and a route
//   noop    the same file again, nothing to do (nethost plan and drift-check; ifquery --check)
//   change  one address of N changed
//   delete  everything removed (nethost: apply `version: 1`; ifupdown2: ifdown -a)
// then: read-only commands at 4000 interfaces, start-up, and the pure planner in-process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gen from './gen.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);

const HELP = `usage: node bench/run.mjs [options]   (normally through: bash bench/run.sh [options])
  --quick               smallest size, one repetition, no read-only/large runs; checks, never asserts time
  --nethost DIR         nethost build to run (DIR/bin/run.js); default bench/out/nethost
  --sizes LIST          life-cycle sizes N (bridges; 2N interfaces); default 50,200,1000 (quick: 50)
  --ro-sizes LIST       sizes for the read-only commands only; default 2000 = 4000 interfaces (quick: none)
  --delete-sizes LIST   sizes at which the delete step runs; default 50,200 (quick: 50)
  --timeout S           a command running longer is killed and recorded as a timeout; default 90
  --tools LIST          floor,nethost,ifupdown2 (default all)
  --out DIR             work files; default bench/out/full or bench/out/quick
  --results DIR         where RESULTS.md and results.json go; default bench/ (quick: the --out dir)
  --profile N           afterwards, CPU-profile nethost plan and apply at size N (node --cpu-prof)
  --reps K              at most K repetitions of each life cycle (for trying the harness out)
  --wait-quiet MIN      first wait up to MIN minutes for the 1-minute load average to fall below 0.5
  --no-planner, --no-startup   skip those sections`;

// ------------------------------------------------------------------------------------------------
// Options
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const has = (f) => argv.includes(f);
const val = (f, d) => {
  const i = argv.indexOf(f);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
};
const list = (s) => (s ? String(s).split(',').filter(Boolean).map(Number) : []);
const QUICK = has('--quick');
const NETHOST_DIR = path.resolve(val('--nethost', path.join(HERE, 'out', 'nethost')));
const NETHOST_BIN = path.join(NETHOST_DIR, 'bin', 'run.js');
const TIMEOUT_MS = Number(val('--timeout', '90')) * 1000;
const OUT = path.resolve(val('--out', path.join(HERE, 'out', QUICK ? 'quick' : 'full')));
const RESULTS_DIR = path.resolve(val('--results', QUICK ? OUT : HERE));
const SIZES = list(val('--sizes', QUICK ? '50' : '50,200,1000'));
const RO_SIZES = list(val('--ro-sizes', QUICK ? '' : '2000'));
const DELETE_SIZES = new Set(list(val('--delete-sizes', QUICK ? '50' : '50,200')));
const TOOLS = val('--tools', 'floor,nethost,ifupdown2').split(',');
const PROFILE_N = Number(val('--profile', '0'));
const IFUPDOWN2 = path.join(HERE, 'lib', 'in-ns-ifupdown2.sh');

// Repetitions per size and tool (quick: one). ifupdown2 is slow at 1000: one run, said in the table.
const REPS_CAP = Number(val('--reps', '0'));
function reps(n, tool) {
  if (QUICK) return 1;
  if (REPS_CAP) return Math.min(REPS_CAP, reps1(n, tool));
  return reps1(n, tool);
}
function reps1(n, tool) {
  const t = { floor: [5, 5, 2], nethost: [5, 3, 1], ifupdown2: [3, 1, 1] }[tool];
  return n <= 50 ? t[0] : n <= 200 ? t[1] : t[2];
}
// How many chains at a size also run the delete step (the rest are torn down by deleting the namespace).
const deleteReps = (n, tool) => (DELETE_SIZES.has(n) ? Math.min(reps(n, tool), n <= 50 ? 5 : 2) : 0);
// Read-only commands are repeated inside each chain, to get more samples for little cost.
const noopInner = (n) => (QUICK ? 1 : n <= 200 ? 2 : 1);
// A tool whose no-op took longer than this at the previous size skips the no-op at the next
// (bounds the run time; the read-only section measures it at 4000 interfaces anyway).
const NOOP_SKIP_MS = 2000;

// ------------------------------------------------------------------------------------------------
// Processes
const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const BIG = 1 << 30;

/** Untimed helper command; throws unless it exits 0 (or allowFail). */
function sh(args, { input, allowFail = false } = {}) {
  const r = spawnSync(args[0], args.slice(1), {
    input,
    maxBuffer: BIG,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (!allowFail && r.status !== 0)
    throw new Error(`${args.join(' ')} → exit ${r.status}: ${(r.stderr || '').trim().slice(0, 500)}`);
  return r;
}
const ipJson = (ns, args) => JSON.parse(sh(['ip', '-n', ns, '-j', ...args]).stdout || '[]');

let current; // the running timed child, killed (its whole process group) on exit
let seq = 0;

/** Largest VmHWM among a process and its descendants (a lower bound of the peak when it is killed). */
function treeHwmKb(pid) {
  let best = 0;
  const walk = (p) => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) best = Math.max(best, Number(m[1]));
      for (const t of readdirSync(`/proc/${p}/task`))
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean)) walk(c);
    } catch {
      /* gone */
    }
  };
  walk(pid);
  return best;
}

/**
 * Runs one command under GNU time (for the peak RSS of it and its children), timing it from spawn to
 * exit. The command gets its own process group, so a timeout ends it and everything it started.
 */
function timed(args, { input, env, timeoutMs = TIMEOUT_MS } = {}) {
  const rssFile = path.join(OUT, 'tmp', `rss-${process.pid}-${++seq}`);
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, LC_ALL: 'C', ...env },
    });
    current = child;
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    let hwm = 0;
    const timer = setTimeout(() => {
      timedOut = true;
      hwm = treeHwmKb(child.pid);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      current = undefined;
      let rssKb = hwm;
      if (!timedOut) {
        try {
          rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        } catch {
          /* time could not write it */
        }
      }
      rmSync(rssFile, { force: true });
      resolve({
        ms,
        code: timedOut ? null : code,
        timedOut,
        rssKb,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

// ------------------------------------------------------------------------------------------------
// Namespaces: all named nhb-<pid>-*, all deleted whatever happens.
const PID = process.pid;
const WATCH = `nhb-${PID}-w`;
const live = new Set();
let nsSeq = 0;

function cleanupSync() {
  if (current) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const ns of [...live, WATCH]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.clear();
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    log(`${sig}: deleting the namespaces`);
    process.exit(130);
  });

function nsCreate() {
  const ns = `nhb-${PID}-${++nsSeq}`;
  const peer = `p${nsSeq}`;
  sh(['ip', 'netns', 'add', ns]);
  live.add(ns);
  // IPv6 duplicate address detection off, so addresses are usable at once and the state settles.
  sh([
    'ip',
    'netns',
    'exec',
    ns,
    'sysctl',
    '-qw',
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ]);
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  sh(['ip', '-n', ns, 'link', 'add', 'name', gen.UPLINK, 'type', 'veth', 'peer', 'name', peer, 'netns', WATCH]);
  sh(['ip', '-n', WATCH, 'link', 'set', peer, 'up']);
  sh(['ip', '-n', ns, 'link', 'set', gen.UPLINK, 'up']);
  sh(['ip', '-n', ns, 'address', 'add', gen.UPLINK_ADDR, 'dev', gen.UPLINK]);
  return { ns, peer };
}

/** Deletes a namespace and waits until the kernel has unregistered its devices (its uplink's peer,
 *  in the watcher namespace, goes in the same batch), so no teardown overlaps the next measurement. */
async function nsDelete({ ns, peer }) {
  sh(['ip', 'netns', 'del', ns], { allowFail: true });
  live.delete(ns);
  const t0 = Date.now();
  while (spawnSync('ip', ['-n', WATCH, 'link', 'show', 'dev', peer], { stdio: 'ignore' }).status === 0) {
    if (Date.now() - t0 > 300_000) {
      log(`warning: ${ns} still being torn down after 300 s`);
      return;
    }
    await sleep(100);
  }
}

/** Waits until the address count stops changing (IPv6 link-local addresses arrive asynchronously). */
async function settle(ns) {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const n = sh(['ip', '-n', ns, '-o', 'address', 'show']).stdout.split('\n').length;
    if (n === last) return;
    last = n;
    await sleep(150);
  }
}

// ------------------------------------------------------------------------------------------------
// The state each step must leave, read from the kernel.
function observe(ns) {
  const links = ipJson(ns, ['-d', 'link', 'show']);
  const kind = (k) => links.filter((l) => l.linkinfo?.info_kind === k);
  const vx = kind('vxlan');
  const routes = ipJson(ns, ['-6', 'route', 'show', 'table', String(gen.TABLE)]);
  const br1 = ipJson(ns, ['address', 'show']).find((l) => l.ifname === gen.bridge(1));
  return {
    bridges: kind('bridge').length,
    vxlans: vx.length,
    ports: vx.filter((l) => l.master === l.ifname.replace(/^vx/, 'br')).length,
    routes: routes.length,
    br1: (br1?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
  };
}

function expectState(ns, n, phase) {
  const s = observe(ns);
  const want =
    phase === 'deleted'
      ? { bridges: 0, vxlans: 0, ports: 0, routes: 0 }
      : { bridges: n, vxlans: n, ports: n, routes: n };
  const bad = Object.entries(want)
    .filter(([k, v]) => s[k] !== v)
    .map(([k, v]) => `${k} ${s[k]} (want ${v})`);
  if (phase === 'created' && !s.br1.includes(gen.addr(1)))
    bad.push(`br1 has ${s.br1.join(' ') || 'no address'} (want ${gen.addr(1)})`);
  if (phase === 'changed' && (!s.br1.includes(gen.addr(1, true)) || s.br1.includes(gen.addr(1))))
    bad.push(`br1 has ${s.br1.join(' ') || 'no address'} (want only ${gen.addr(1, true)})`);
  return bad.length ? `after ${phase}: ${bad.join(', ')}` : undefined;
}

// ------------------------------------------------------------------------------------------------
// Results
const started = Date.now();
// Other work on the machine skews every figure: the 1-minute load average is sampled at each step.
const loadSamples = [];
const loadByStep = [];
const sampleLoad = (what) => {
  const l = +os.loadavg()[0].toFixed(2);
  loadSamples.push(l);
  if (what) loadByStep.push({ what, load: l, at: new Date().toISOString().slice(11, 19) });
};
const cells = new Map();
const failures = [];
const checks = [];

function cell(scenario, n, tool) {
  const key = `${scenario}|${n}|${tool}`;
  if (!cells.has(key))
    cells.set(key, {
      scenario,
      n,
      interfaces: 2 * n,
      tool,
      samples: [],
      rssKb: [],
      operations: [],
      status: 'ok',
      notes: [],
    });
  return cells.get(key);
}
function fail(what) {
  failures.push(what);
  log(`FAILED: ${what}`);
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined;
};

// ------------------------------------------------------------------------------------------------
// The tools: each step is a list of commands run one after the other; its time is their sum.
const nethost = (...a) => [process.execPath, NETHOST_BIN, ...a];
const READ = (ns) => ({
  args: ['ip', '-n', ns, '-j', '-d', '-batch', '-'],
  input: 'address show\nroute show table all\n',
});

const TOOL_STEPS = {
  floor: {
    label: 'ip -batch (floor)',
    apply: (f, ns) => [[{ args: ['ip', '-n', ns, '-batch', f.floorCreate] }, READ(ns)]],
    noop: (_f, ns) => [{ tool: 'floor', cmds: [READ(ns)] }],
    change: (f, ns) => [[{ args: ['ip', '-n', ns, '-batch', f.floorChange] }, READ(ns)]],
    delete: (f, ns) => [[{ args: ['ip', '-n', ns, '-batch', f.floorDelete] }, READ(ns)]],
  },
  nethost: {
    label: 'nethost',
    apply: (f, ns) => [[{ args: nethost('apply', f.yaml, '--netns', ns, '--yes', '--json'), json: true }]],
    noop: (f, ns) => [
      { tool: 'nethost', cmds: [{ args: nethost('plan', f.yaml, '--netns', ns) }] },
      { tool: 'nethost-drift', cmds: [{ args: nethost('drift-check', f.yaml, '--netns', ns) }] },
    ],
    change: (f, ns) => [[{ args: nethost('apply', f.yamlChanged, '--netns', ns, '--yes', '--json'), json: true }]],
    delete: (f, ns) => [[{ args: nethost('apply', f.yamlEmpty, '--netns', ns, '--yes', '--json'), json: true }]],
  },
  ifupdown2: {
    label: 'ifupdown2',
    apply: (f, ns, st) => [[{ args: [IFUPDOWN2, ns, st, f.ifaces, 'ifup', '-a', '-i', f.ifaces] }]],
    noop: (f, ns, st) => [
      {
        tool: 'ifupdown2',
        cmds: [{ args: [IFUPDOWN2, ns, st, f.ifaces, 'ifquery', '--check', '-a', '-i', f.ifaces] }],
      },
    ],
    // ifreload reads only /etc/network/interfaces: the wrapper bind-mounts the changed file there.
    change: (f, ns, st) => [[{ args: [IFUPDOWN2, ns, st, f.ifacesChanged, 'ifreload', '-a'] }]],
    delete: (f, ns, st) => [[{ args: [IFUPDOWN2, ns, st, f.ifacesChanged, 'ifdown', '-a', '-i', f.ifacesChanged] }]],
  },
};

/** Runs a step's commands in order; returns the summed time, or why it failed. */
async function runCmds(cmds) {
  let ms = 0;
  let rss = 0;
  let ops;
  for (const c of cmds) {
    const r = await timed(c.args, { input: c.input });
    ms += r.ms;
    rss = Math.max(rss, r.rssKb || 0);
    if (r.timedOut)
      return { ms, rss, timedOut: true, error: `timed out after ${TIMEOUT_MS / 1000} s: ${c.args.join(' ')}` };
    if (r.code !== 0)
      return { ms, rss, error: `exit ${r.code}: ${c.args.join(' ')}\n${(r.stderr || r.stdout).trim().slice(0, 800)}` };
    if (/Dump was interrupted/.test(r.stderr)) log(`note: "Dump was interrupted" from ${c.args.slice(0, 4).join(' ')}`);
    if (c.json) {
      try {
        ops = JSON.parse(r.stdout).plan?.operations?.length;
      } catch {
        /* not JSON: leave the count out */
      }
    }
  }
  return { ms, rss, ops };
}

function recordRun(scenario, n, tool, r, rep) {
  const c = cell(scenario, n, tool);
  c.runs = (c.runs ?? 0) + 1;
  (c.loads ??= []).push(+os.loadavg()[0].toFixed(2));
  if (r.timedOut) {
    c.status = 'timeout';
    c.timeoutMs = TIMEOUT_MS;
    if (r.rss ?? r.rssKb) c.rssKb.push(r.rss ?? r.rssKb);
    c.notes.push(`rep ${rep}: killed after ${TIMEOUT_MS / 1000} s`);
    return false;
  }
  if (r.error) {
    c.status = 'failed';
    fail(`${scenario} N=${n} ${tool} rep ${rep}: ${r.error}`);
    return false;
  }
  c.samples.push(r.ms);
  if (r.rss ?? r.rssKb) c.rssKb.push(r.rss ?? r.rssKb);
  if (r.ops !== undefined) c.operations.push(r.ops);
  return true;
}

const skipped = (scenario, n, tool, why) => {
  const c = cell(scenario, n, tool);
  if (!c.samples.length && c.status === 'ok') c.status = 'skipped';
  if (!c.notes.includes(why)) c.notes.push(why);
};

/** One tool's life cycle at size n in a fresh namespace. */
async function chain(toolName, n, rep, files, { withDelete, doNoop }) {
  const t = TOOL_STEPS[toolName];
  const nsi = nsCreate();
  const st = path.join(OUT, 'ifupdown2-state', nsi.ns);
  log(`N=${n} ${toolName} rep ${rep + 1} in ${nsi.ns} (load ${os.loadavg()[0].toFixed(2)})`);
  sampleLoad(`N=${n} ${toolName} rep ${rep + 1}`);
  try {
    const phases = { apply: 'created', noop: 'created', change: 'changed', delete: 'deleted' };
    for (const step of ['apply', 'noop', 'change', 'delete']) {
      if (step === 'delete' && !withDelete) break;
      if (step === 'noop') {
        if (!doNoop) {
          for (const v of t.noop(files, nsi.ns, st))
            skipped(
              'noop',
              n,
              v.tool,
              `not run at this size: ${toolName}'s no-op took over ${NOOP_SKIP_MS / 1000} s at the previous size (measured at 4000 interfaces below)`,
            );
          continue;
        }
        for (let k = 0; k < noopInner(n); k++)
          for (const v of t.noop(files, nsi.ns, st)) {
            const r = await runCmds(v.cmds);
            if (!recordRun('noop', n, v.tool, r, rep + 1)) return;
          }
      } else {
        const [cmds] = t[step](files, nsi.ns, st);
        const r = await runCmds(cmds);
        if (!recordRun(step, n, toolName, r, rep + 1)) {
          for (const later of ['noop', 'change', 'delete'].slice(['apply', 'noop', 'change', 'delete'].indexOf(step)))
            skipped(later, n, toolName, `not run: ${step} did not complete`);
          return;
        }
      }
      await settle(nsi.ns);
      const bad = expectState(nsi.ns, n, phases[step]);
      if (bad) {
        cell(step, n, toolName).status = 'failed';
        fail(`${toolName} N=${n} rep ${rep + 1}: ${bad}`);
        return;
      }
      // The floor must leave exactly nethost's state: checked once per size, untimed.
      if (toolName === 'floor' && step === 'apply' && rep === 0 && TOOLS.includes('nethost')) {
        const r = await timed(nethost('drift-check', files.yaml, '--netns', nsi.ns));
        const ok = r.code === 0;
        checks.push({
          what: `floor state at N=${n} is in sync for nethost drift-check`,
          ok,
          detail: r.timedOut ? 'timed out' : ok ? '' : (r.stdout + r.stderr).trim().slice(0, 300),
        });
        if (!ok && !r.timedOut)
          fail(`the floor's state at N=${n} is not what nethost makes: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
      }
    }
  } finally {
    await nsDelete(nsi);
    rmSync(st, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------
// Sections
let marks = gen.DEFAULT_MARKS;
let templatePath;
const probeInfo = {};

/** Applies the 2-bridge file with nethost once: its ownership marks make the floor's state
 *  identical to nethost's; its raw live state is the template of the in-process planner bench. */
async function probe() {
  const dir = path.join(OUT, 'probe');
  mkdirSync(dir, { recursive: true });
  const files = gen.writeAll(dir, 2);
  const nsi = nsCreate();
  try {
    const r = await timed(nethost('apply', files.yaml, '--netns', nsi.ns, '--yes', '--json'));
    if (r.code !== 0)
      throw new Error(
        `nethost apply of the 2-bridge file failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 800)}`,
      );
    const links = ipJson(nsi.ns, ['-d', 'link', 'show']);
    const alias = (name) => links.find((l) => l.ifname === name)?.ifalias;
    const route = ipJson(nsi.ns, ['-6', 'route', 'show', 'table', String(gen.TABLE)])[0];
    marks = {
      uplinkAlias: alias(gen.UPLINK) ?? '""',
      linkAlias: alias('br1') ?? '""',
      proto: String(route?.protocol ?? 'boot'),
    };
    if (alias('vx1') !== alias('br1'))
      throw new Error(
        `nethost marks bridges and vxlans differently (${alias('br1')} / ${alias('vx1')}): update bench/gen.mjs`,
      );
    // The same reads nethost makes (src/live/read.ts).
    const batch = (fam, cmds) =>
      sh(['ip', '-n', nsi.ns, fam, '-j', '-batch', '-'], { input: cmds.join('\n') + '\n' })
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const [lk, neighbors] = batch('-d', ['address show', 'neigh show']);
    const [routes4, rules4] = batch('-4', ['route show table all', 'rule show']);
    const [routes6, rules6] = batch('-6', ['route show table all', 'rule show']);
    templatePath = path.join(dir, 'raw-template.json');
    writeFileSync(
      templatePath,
      JSON.stringify({ links: lk, neighbors, routes4, rules4, routes6, rules6, sysctls: {} }),
    );
    let ops;
    try {
      ops = JSON.parse(r.stdout).plan.operations.length;
    } catch {
      /* older output */
    }
    Object.assign(probeInfo, { marks, nethostOps: ops, floorOps: gen.floorCreate(2, marks).trim().split('\n').length });
    log(
      `nethost marks: ${JSON.stringify(marks)}; 2-bridge apply: nethost ${ops} operations, floor ${probeInfo.floorOps}`,
    );
  } finally {
    await nsDelete(nsi);
  }
}

async function lifeCycles() {
  const prevNoop = {};
  for (const n of SIZES) {
    const dir = path.join(OUT, `n${n}`);
    mkdirSync(dir, { recursive: true });
    const files = gen.writeAll(dir, n, marks);
    const doNoop = Object.fromEntries(TOOLS.map((t) => [t, !(prevNoop[t] > NOOP_SKIP_MS)]));
    const maxReps = Math.max(...TOOLS.map((t) => reps(n, t)));
    for (let rep = 0; rep < maxReps; rep++) {
      // Tools take turns, in a rotating order, so slow drift of the machine spreads over all of them.
      const order = TOOLS.map((_, i) => TOOLS[(i + rep) % TOOLS.length]);
      for (const tool of order) {
        if (rep >= reps(n, tool)) continue;
        const prior = ['apply'].map((s) => cells.get(`${s}|${n}|${tool}`)).find((c) => c && c.status !== 'ok');
        if (prior) continue; // it timed out or failed at this size already
        await chain(tool, n, rep, files, { withDelete: rep < deleteReps(n, tool), doNoop: doNoop[tool] });
      }
    }
    for (const t of TOOLS) {
      const noopCells = [...cells.values()].filter(
        (c) => c.scenario === 'noop' && c.n === n && (c.tool === t || c.tool.startsWith(`${t}-`)),
      );
      prevNoop[t] = Math.max(0, ...noopCells.map((c) => median(c.samples) ?? (c.status === 'timeout' ? Infinity : 0)));
    }
    for (const t of TOOLS)
      if (!DELETE_SIZES.has(n)) skipped('delete', n, t, 'delete step not run at this size (--delete-sizes)');
  }
}

/** Read-only commands on one namespace of size n (made by the floor, identical to nethost's state). */
async function readOnly(n) {
  const dir = path.join(OUT, `n${n}`);
  mkdirSync(dir, { recursive: true });
  const files = gen.writeAll(dir, n, marks);
  const nsi = nsCreate();
  const st = path.join(OUT, 'ifupdown2-state', nsi.ns);
  log(`read-only at N=${n} (${2 * n} interfaces) in ${nsi.ns}: setting up with the floor`);
  try {
    sh(['ip', '-n', nsi.ns, '-batch', files.floorCreate]);
    await settle(nsi.ns);
    const bad = expectState(nsi.ns, n, 'created');
    if (bad) return fail(`read-only setup N=${n}: ${bad}`);
    const R = 3;
    for (let rep = 0; rep < R; rep++) {
      for (const tool of TOOLS) {
        for (const v of TOOL_STEPS[tool].noop(files, nsi.ns, st)) {
          const c = cell('noop', n, v.tool);
          if (c.status !== 'ok') continue; // one timeout is enough
          if (v.tool === 'nethost-drift' && cell('noop', n, 'nethost').status === 'timeout') {
            skipped('noop', n, v.tool, 'not run: nethost plan (the same reading and planning) timed out');
            continue;
          }
          // Slow commands: fewer repetitions.
          if (rep > 0 && (median(c.samples) ?? 0) > 20_000) continue;
          log(`N=${n} no-op ${v.tool} rep ${rep + 1}`);
          sampleLoad(`N=${n} no-op ${v.tool} rep ${rep + 1}`);
          const r = await runCmds(v.cmds);
          recordRun('noop', n, v.tool, r, rep + 1);
        }
      }
    }
  } finally {
    await nsDelete(nsi);
    rmSync(st, { recursive: true, force: true });
  }
}

async function startup() {
  const R = QUICK ? 2 : 20;
  sampleLoad('start-up');
  const cmds = Object.entries({ 'node -e 0': ['node', '-e', '0'], 'nethost --version': nethost('--version') });
  for (let i = 0; i < R; i++)
    for (const [tool, args] of i % 2 ? [...cmds].reverse() : cmds) {
      const r = await timed(args);
      recordRun(
        'startup',
        0,
        tool,
        r.code === 0 || r.timedOut ? r : { ...r, error: `exit ${r.code}: ${r.stderr.trim()}` },
        i + 1,
      );
    }
}

const planner = { runs: [] };
const PLANNER_TIMEOUT_MS = 45_000;
async function plannerBench() {
  const bridges = QUICK ? 250 : 2500;
  const bundle = path.join(OUT, 'planner.mjs');
  const src = path.join(NETHOST_DIR, 'src');
  // Bundle bench/planner.ts against the tree under test (its src/ in the nethost build directory).
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const entry = path.join(OUT, 'planner-entry.ts');
  writeFileSync(
    entry,
    readFileSync(path.join(HERE, 'planner.ts'), 'utf8')
      .replaceAll("'../src/", `'${src}/`)
      .replace("'./gen.mjs'", `'${path.join(HERE, 'gen.mjs')}'`),
  );
  sh([
    esbuild,
    entry,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    '--packages=external',
    `--outfile=${bundle}`,
    '--log-level=warning',
  ]);
  // node resolves the external packages from the bundle's directory upwards: OUT is inside the repo.
  const R = QUICK ? 1 : 5;
  for (const kase of ['empty', 'in-sync']) {
    if (planner.runs.some((r) => r.timedOut)) {
      planner.runs.push({ case: kase, skipped: 'not run: the other case timed out' });
      continue;
    }
    let spent = 0;
    for (let i = 0; i < R && spent < 30_000; i++) {
      log(`planner ${kase} (${4 * bridges} resources) process ${i + 1}`);
      sampleLoad(`planner ${kase} ${i + 1}`);
      const r = await timed(
        [
          process.execPath,
          bundle,
          '--bridges',
          String(bridges),
          '--template',
          templatePath,
          '--case',
          kase,
          '--warm',
          QUICK ? '1' : '3',
        ],
        { timeoutMs: PLANNER_TIMEOUT_MS },
      );
      spent += r.ms;
      if (r.timedOut) {
        planner.runs.push({ case: kase, timedOut: true, rssKb: r.rssKb });
        break;
      }
      if (r.code !== 0) {
        fail(`planner ${kase}: exit ${r.code}: ${r.stderr.trim().slice(0, 800)}`);
        break;
      }
      const out = JSON.parse(r.stdout);
      const c = out.cases[kase];
      const wantChanges = kase === 'in-sync' ? 0 : 4 * bridges;
      if (c.cold.changes < wantChanges || (kase === 'in-sync' && c.cold.changes !== 0))
        fail(`planner ${kase}: ${c.cold.changes} changes (want ${kase === 'in-sync' ? 0 : `≥ ${wantChanges}`})`);
      planner.runs.push({ case: kase, resources: out.resources, cold: c.cold, warm: c.warm, peakRssKb: out.peakRssKb });
    }
  }
}

const profiles = [];
async function profileRun(n) {
  const dir = path.join(OUT, `n${n}`);
  mkdirSync(dir, { recursive: true });
  const files = gen.writeAll(dir, n, marks);
  const profDir = path.join(OUT, 'profiles');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const run = async (name, args, _nsi) => {
    const d = path.join(profDir, name);
    mkdirSync(d, { recursive: true });
    log(`profiling nethost ${name} at N=${n}`);
    const r = await timed([process.execPath, `--cpu-prof`, `--cpu-prof-dir=${d}`, NETHOST_BIN, ...args], {
      timeoutMs: Math.max(TIMEOUT_MS, 600_000),
    });
    const f = readdirSync(d).find((x) => x.endsWith('.cpuprofile'));
    const summary = f
      ? sh([process.execPath, path.join(HERE, 'profile-summary.mjs'), path.join(d, f), '25']).stdout
      : '(no profile written)';
    writeFileSync(path.join(profDir, `${name}.txt`), summary);
    profiles.push({ name, n, ms: r.ms, code: r.code, summary: path.relative(ROOT, path.join(profDir, `${name}.txt`)) });
  };
  // plan on an in-sync namespace; apply from empty on a fresh one.
  let nsi = nsCreate();
  try {
    sh(['ip', '-n', nsi.ns, '-batch', files.floorCreate]);
    await settle(nsi.ns);
    await run('plan-noop', ['plan', files.yaml, '--netns', nsi.ns], nsi);
  } finally {
    await nsDelete(nsi);
  }
  nsi = nsCreate();
  try {
    await run('apply-create', ['apply', files.yaml, '--netns', nsi.ns, '--yes'], nsi);
  } finally {
    await nsDelete(nsi);
  }
}

// ------------------------------------------------------------------------------------------------
// Report
function machine() {
  const first = (args) => {
    const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
    return (r.stdout || r.stderr || '').trim().split('\n')[0];
  };
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1];
  const build = existsSync(path.join(NETHOST_DIR, 'BUILD_INFO'))
    ? Object.fromEntries(
        readFileSync(path.join(NETHOST_DIR, 'BUILD_INFO'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=')),
      )
    : {};
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    cpu,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    iproute2: first(['ip', '-V']),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
    ifupdown2: first(['dpkg-query', '-W', '-f', '${Version}', 'ifupdown2']),
    nethost: { version: first(nethost('--version')), ...build },
  };
}

const fmtMs = (ms) =>
  ms === undefined
    ? '–'
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
const fmtMb = (kb) => (kb ? `${(kb / 1024).toFixed(0)} MB` : '–');

function stats(c) {
  const s = c.samples;
  const m = median(s);
  const out = {
    median: m,
    min: s.length ? Math.min(...s) : undefined,
    max: s.length ? Math.max(...s) : undefined,
    n: s.length,
  };
  out.spreadPct = m ? (100 * (out.max - out.min)) / m : undefined;
  return out;
}
const TOOL_LABEL = {
  floor: 'ip -batch (floor)',
  nethost: 'nethost',
  'nethost-drift': 'nethost drift-check',
  ifupdown2: 'ifupdown2',
  'node -e 0': 'node -e 0',
  'nethost --version': 'nethost --version',
};
const COMMAND = {
  apply: { floor: 'ip -batch + 1 state read', nethost: 'apply --yes', ifupdown2: 'ifup -a -i FILE' },
  noop: {
    floor: 'state read (ip -j -d -batch)',
    nethost: 'plan',
    'nethost-drift': 'drift-check',
    ifupdown2: 'ifquery --check -a -i FILE',
  },
  change: {
    floor: 'ip -batch (2 ops) + 1 state read',
    nethost: 'apply --yes (changed file)',
    ifupdown2: 'ifreload -a',
  },
  delete: { floor: 'ip -batch + 1 state read', nethost: 'apply --yes (version: 1)', ifupdown2: 'ifdown -a -i FILE' },
};
// A figure that stands in for a timeout: at least the timeout.
function figure(c) {
  if (!c) return { text: '–' };
  const st = stats(c);
  if (st.median !== undefined) return { text: fmtMs(st.median), ms: st.median, exact: true };
  if (c.status === 'timeout') return { text: `> ${fmtMs(c.timeoutMs)} (timeout)`, ms: c.timeoutMs, exact: false };
  return { text: c.status };
}

function targets() {
  const get = (s, n, t) => cells.get(`${s}|${n}|${t}`);
  const out = [];
  const ratio = (a, b) => (a && b && a.ms !== undefined && b.ms !== undefined ? a.ms / b.ms : undefined);
  const add = (name, measured, pass, detail) => out.push({ name, measured, pass, detail });
  const n200 = 200;
  // 1. apply@200 vs floor, vs ifupdown2
  {
    const nh = figure(get('apply', n200, 'nethost'));
    const fl = figure(get('apply', n200, 'floor'));
    const iu = figure(get('apply', n200, 'ifupdown2'));
    const r1 = ratio(nh, fl);
    add(
      'apply from empty @ N=200 (400 interfaces): nethost ≤ 2× the floor',
      r1 ? `${nh.exact ? '' : '≥ '}${r1.toFixed(2)}× (${nh.text} vs ${fl.text})` : 'not measured',
      r1 ? nh.exact && r1 <= 2 : undefined,
    );
    const r2 = ratio(iu, nh);
    add(
      'apply from empty @ N=200: nethost ≥ 15× faster than ifupdown2',
      r2 ? `${r2.toFixed(1)}× faster (${iu.text} vs ${nh.text})` : 'not measured',
      r2 ? nh.exact && r2 >= 15 : undefined,
    );
  }
  // 2. no-op at 400 interfaces
  for (const t of ['nethost', 'nethost-drift']) {
    const nh = figure(get('noop', n200, t));
    const iq = figure(get('noop', n200, 'ifupdown2'));
    const r = ratio(iq, nh);
    add(
      `no-op ${t === 'nethost' ? 'plan' : 'drift-check'} @ 400 interfaces: ≥ 3× faster than ifquery --check and ≤ 0.35 s`,
      r ? `${r.toFixed(2)}× faster, ${nh.text} (ifquery --check ${iq.text})` : 'not measured',
      r ? nh.exact && r >= 3 && nh.ms <= 350 : undefined,
    );
  }
  // 3. scaling 4000 / 400
  {
    const big = Math.max(0, ...RO_SIZES);
    for (const t of ['nethost', 'nethost-drift']) {
      const a = figure(get('noop', big, t));
      const b = figure(get('noop', n200, t));
      const r = ratio(a, b);
      add(
        `no-op ${t === 'nethost' ? 'plan' : 'drift-check'}: time at ${2 * big} interfaces / at 400 ≤ 12×`,
        r ? `${a.exact ? '' : '≥ '}${r.toFixed(1)}× (${a.text} / ${b.text})` : `not measured (${a.text})`,
        r ? (a.exact ? r <= 12 : false) : undefined,
      );
    }
  }
  // 4. small change ≤ 1.5× no-op at the same N
  for (const n of SIZES) {
    const ch = figure(get('change', n, 'nethost'));
    const np = figure(get('noop', n, 'nethost'));
    const r = ratio(ch, np);
    const ops = get('change', n, 'nethost')?.operations ?? [];
    if (!r) {
      add(
        `small change @ N=${n}: apply ≤ 1.5× no-op plan`,
        `not measured (change ${ch.text}, no-op ${np.text})`,
        undefined,
      );
      continue;
    }
    add(
      `small change @ N=${n}: apply ≤ 1.5× no-op plan`,
      `${r.toFixed(2)}× (${ch.text} vs ${np.text}); ${ops.length ? `${median(ops)} kernel operations` : ''}`,
      ch.exact && np.exact ? r <= 1.5 : undefined,
    );
  }
  // 5. start-up
  {
    const a = figure(get('startup', 0, 'nethost --version'));
    const b = figure(get('startup', 0, 'node -e 0'));
    const r = ratio(a, b);
    add(
      'start-up: nethost --version ≤ 3× node -e 0',
      r ? `${r.toFixed(2)}× (${a.text} vs ${b.text})` : 'not measured',
      r ? r <= 3 : undefined,
    );
  }
  // 6. planner
  {
    const cold = planner.runs.filter((r) => r.cold);
    const worst = Math.max(
      ...['empty', 'in-sync'].map((k) => median(cold.filter((r) => r.case === k).map((r) => r.cold.total)) ?? 0),
    );
    const res = cold[0]?.resources;
    const to = planner.runs.some((r) => r.timedOut);
    add(
      `planner in-process on ${res ?? '10,000'} resources (load + normalise + plan, cold) ≤ 200 ms`,
      to ? 'timed out' : cold.length ? `${fmtMs(worst)} (slower of the two cases)` : 'not measured',
      to ? false : cold.length && res >= 10000 ? worst <= 200 : undefined,
    );
  }
  // 7. peak RSS at 4000 interfaces
  {
    const big = Math.max(0, ...RO_SIZES);
    const cs = ['nethost', 'nethost-drift'].map((t) => get('noop', big, t)).filter(Boolean);
    const rss = Math.max(0, ...cs.flatMap((c) => c.rssKb));
    const lower = cs.some((c) => c.status === 'timeout');
    add(
      `nethost peak RSS @ ${2 * big} interfaces (plan) ≤ 150 MB`,
      rss ? `${lower ? '≥ ' : ''}${fmtMb(rss)}${lower ? ' (at the timeout kill)' : ''}` : 'not measured',
      rss ? (lower ? (rss > 150 * 1024 ? false : undefined) : rss <= 150 * 1024) : undefined,
    );
  }
  return out;
}

function report() {
  const m = machine();
  const tg = QUICK ? [] : targets();
  const wall = (Date.now() - started) / 1000;
  const json = {
    mode: QUICK ? 'quick' : 'full',
    machine: m,
    wallSeconds: Math.round(wall),
    config: {
      sizes: SIZES,
      readOnlySizes: RO_SIZES,
      deleteSizes: [...DELETE_SIZES],
      timeoutSeconds: TIMEOUT_MS / 1000,
      tools: TOOLS,
    },
    probe: probeInfo,
    cells: [...cells.values()].map((c) => ({ ...c, stats: stats(c) })),
    planner,
    profiles,
    checks,
    failures,
    loadAverage1m: { samples: loadSamples, median: median(loadSamples), max: Math.max(0, ...loadSamples) },
    loadByStep,
    targets: tg,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, 'results.json'), JSON.stringify(json, null, 2) + '\n');

  const L = [];
  L.push(
    `# nethost benchmark results${QUICK ? ' (quick mode: a check that every tool runs; times mean nothing)' : ''}`,
    '',
  );
  L.push(
    `Produced by \`bash bench/run.sh${QUICK ? ' --quick' : ''}\` on ${m.date.slice(0, 16).replace('T', ' ')} UTC in ${Math.floor(wall / 60)} min ${Math.round(wall % 60)} s. Method and scenarios: bench/README.md. Raw samples: results.json.`,
    '',
  );
  L.push('| machine | |', '| --- | --- |');
  L.push(
    `| CPU | ${m.nproc} × ${m.cpu ?? '?'} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| kernel | ${m.kernel} |`,
    `| node | ${m.node} |`,
  );
  L.push(`| iproute2 | ${m.iproute2} |`, `| ifupdown2 | ${m.ifupdown2} (Debian) |`);
  if (loadSamples.length)
    L.push(
      `| load average (1 min) during the run | median ${median(loadSamples).toFixed(2)}, max ${Math.max(...loadSamples).toFixed(2)} over ${loadSamples.length} samples (${m.nproc} CPUs; the harness itself keeps about one busy, so ≈ 1 is a quiet machine and well above it something else ran) |`,
    );
  L.push(
    `| nethost | ${m.nethost.version} — commit ${m.nethost.commit ?? '?'}${Number(m.nethost.dirty) ? ` + ${m.nethost.dirty} uncommitted file(s) in ${m.nethost.src}` : ''}${m.nethost.src && m.nethost.src !== 'src' ? ` (tree: ${m.nethost.src})` : ''} |`,
    '',
  );
  if (failures.length) {
    L.push('## Failures', '');
    for (const f of failures) L.push(`- ${f.replace(/\n/g, ' ')}`);
    L.push('');
  }
  if (tg.length) {
    L.push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |');
    for (const t of tg)
      L.push(`| ${t.name} | ${t.measured} | ${t.pass === undefined ? '?' : t.pass ? 'yes' : '**no**'} |`);
    L.push('');
  }
  const titles = {
    apply:
      '1. Apply from empty: N bridges, each with a VXLAN port (VNI i, dstport 4789, over "uplink"), an IPv6 address and a route in table 100',
    noop: '2. No-op: the same file on an in-sync namespace',
    change: '3. Small change on a big host: one address of N changed',
    delete: '4. Delete everything nethost made (apply `version: 1`; ifupdown2: ifdown -a)',
  };
  for (const sc of ['apply', 'noop', 'change', 'delete']) {
    const rows = [...cells.values()]
      .filter((c) => c.scenario === sc)
      .sort((a, b) => a.n - b.n || Object.keys(TOOL_LABEL).indexOf(a.tool) - Object.keys(TOOL_LABEL).indexOf(b.tool));
    if (!rows.length) continue;
    L.push(`## ${titles[sc]}`, '');
    L.push(
      '| N (interfaces) | tool | command | median | min – max | runs | × floor | peak RSS | kernel ops | load | notes |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const c of rows) {
      const st = stats(c);
      const f = figure(c);
      const floor = figure(cells.get(`${sc}|${c.n}|floor`));
      const x =
        c.tool !== 'floor' && f.ms !== undefined && floor.exact
          ? `${f.exact ? '' : '≥ '}${(f.ms / floor.ms).toFixed(1)}×`
          : '';
      const ops = c.operations.length
        ? String(median(c.operations))
        : c.tool === 'floor'
          ? String(sc === 'change' ? 2 : '')
          : '';
      L.push(
        `| ${c.n} (${c.interfaces}) | ${TOOL_LABEL[c.tool] ?? c.tool} | ${COMMAND[sc]?.[c.tool] ?? ''} | ${f.text} | ${st.n > 1 ? `${fmtMs(st.min)} – ${fmtMs(st.max)}` : ''} | ${st.n}${c.status === 'timeout' ? ' + timeout' : ''} | ${x} | ${fmtMb(Math.max(0, ...c.rssKb))} | ${ops} | ${c.loads?.length ? Math.max(...c.loads).toFixed(1) : ''} | ${c.notes.join('; ')} |`,
      );
    }
    L.push('');
  }
  const su = [...cells.values()].filter((c) => c.scenario === 'startup');
  if (su.length) {
    L.push(
      '## 5. Start-up',
      '',
      '| command | median | min – max | runs | peak RSS |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const c of su) {
      const st = stats(c);
      L.push(
        `| ${c.tool} | ${fmtMs(st.median)} | ${fmtMs(st.min)} – ${fmtMs(st.max)} | ${st.n} | ${fmtMb(Math.max(0, ...c.rssKb))} |`,
      );
    }
    L.push('');
  }
  if (planner.runs.length) {
    L.push('## 6. The pure planner in-process (load → normalise → check + diff + plan)', '');
    L.push(
      'Each process runs one case once cold (as a CLI run does), then warm. Times are medians over processes.',
      '',
    );
    L.push(
      '| case | resources | load | normalise | plan | total cold | total warm | processes | peak RSS |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const k of ['empty', 'in-sync']) {
      const rs = planner.runs.filter((r) => r.case === k && r.cold);
      if (planner.runs.some((r) => r.case === k && r.timedOut))
        L.push(
          `| ${k} | ${4 * (QUICK ? 250 : 2500) + 2} | | | | > ${PLANNER_TIMEOUT_MS / 1000} s (timeout) | | | ≥ ${fmtMb(planner.runs.find((r) => r.case === k && r.timedOut).rssKb)} |`,
        );
      if (planner.runs.some((r) => r.case === k && r.skipped))
        L.push(`| ${k} | | | | | ${planner.runs.find((r) => r.case === k && r.skipped).skipped} | | | |`);
      if (!rs.length) continue;
      const med = (f) => median(rs.map(f));
      L.push(
        `| ${k} | ${rs[0].resources} | ${fmtMs(med((r) => r.cold.load))} | ${fmtMs(med((r) => r.cold.normalise))} | ${fmtMs(med((r) => r.cold.plan))} | ${fmtMs(med((r) => r.cold.total))} | ${fmtMs(median(rs.flatMap((r) => r.warm.map((w) => w.total))))} | ${rs.length} | ${fmtMb(med((r) => r.peakRssKb))} |`,
      );
    }
    L.push('');
  }
  if (profiles.length) {
    L.push('## CPU profiles', '');
    for (const p of profiles) L.push(`- nethost ${p.name} at N=${p.n}: ${fmtMs(p.ms)} — summary in \`${p.summary}\``);
    L.push('');
  }
  L.push('## How to read this', '');
  L.push(
    `- "load" is the highest 1-minute load average seen when that row's runs ended: the harness keeps about one CPU busy, so ≈ 1 is a quiet machine; clearly above, something else was running and the row is pessimistic.`,
    `- Times are wall-clock, from spawn to exit, of the whole command as an operator runs it (GNU time wraps every command, for its peak RSS; it adds ~1 ms). "min – max" is the spread over the runs; one run means one sample.`,
    `- One fresh namespace per tool and repetition; tools take turns. A command running over ${TIMEOUT_MS / 1000} s is killed and shown as "> ${TIMEOUT_MS / 1000} s (timeout)"; its peak RSS is then what it had reached.`,
    `- The floor is what the kernel needs: the same operations nethost's plan holds (${probeInfo.floorOps ?? '?'} lines at N=2; nethost's plan had ${probeInfo.nethostOps ?? '?'}) in one \`ip -batch\` process, plus one state read (\`ip -j -d -batch\`: address show; route show table all). Before timing, the floor's state is checked to be in sync for \`nethost drift-check\`.`,
    `- ifupdown2 runs with Debian's configuration except \`addon_scripts_support=0\` (the if-*.d hooks on this machine belong to bridge-utils and openvswitch), inside \`ip netns exec\` with its lock, state and config bind-mounted per run (bench/lib/in-ns-ifupdown2.sh). Routes are \`up ip -6 route replace …\` lines, ifupdown2's way.`,
    `- Repetitions: N=50 floor/nethost 5, ifupdown2 3; N=200 floor 5, nethost 3, ifupdown2 1; N=1000 floor 2, nethost 1, ifupdown2 1 (slow: one run, as the table's "runs" column says). Read-only commands repeat inside each chain (×${noopInner(200)} at N ≤ 200). The 4000-interface rows are read-only, on one namespace set up by the floor.`,
    '',
  );
  const analysis = path.join(HERE, 'ANALYSIS.md');
  if (!QUICK && existsSync(analysis)) L.push(readFileSync(analysis, 'utf8').trim(), '');
  writeFileSync(path.join(RESULTS_DIR, 'RESULTS.md'), L.join('\n'));
  log(`wrote ${path.join(RESULTS_DIR, 'RESULTS.md')} and results.json (${Math.round(wall)} s)`);
}

// ------------------------------------------------------------------------------------------------
async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  if (!existsSync(NETHOST_BIN)) throw new Error(`no nethost build at ${NETHOST_DIR} (bench/run.sh makes one)`);
  rmSync(path.join(OUT, 'ifupdown2-state'), { recursive: true, force: true });
  mkdirSync(path.join(OUT, 'tmp'), { recursive: true });
  const quietMin = Number(val('--wait-quiet', '0'));
  for (const t0 = Date.now(); quietMin && os.loadavg()[0] >= 0.5 && Date.now() - t0 < quietMin * 60_000; ) {
    log(`waiting for a quiet machine (load ${os.loadavg()[0].toFixed(2)})`);
    await sleep(15_000);
  }
  if (os.loadavg()[0] >= 1)
    log(`warning: load average ${os.loadavg()[0].toFixed(2)} at the start: other work will skew the figures`);
  sh(['ip', 'netns', 'add', WATCH]);
  if (TOOLS.includes('nethost')) await probe();
  await lifeCycles();
  for (const n of RO_SIZES) await readOnly(n);
  if (!has('--no-startup') && TOOLS.includes('nethost')) await startup();
  if (!has('--no-planner') && TOOLS.includes('nethost')) await plannerBench();
  if (PROFILE_N) await profileRun(PROFILE_N);
  for (const c of cells.values())
    if (QUICK && c.status === 'timeout') fail(`${c.scenario} N=${c.n} ${c.tool} timed out`);
  report();
  if (QUICK) {
    const ran = [...cells.values()].filter((c) => c.samples.length).length;
    console.log(
      `bench quick: ${ran} measurements, ${failures.length} failure(s); every tool left the expected state: ${failures.length ? 'NO' : 'yes'}`,
    );
  }
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`error: ${e.stack ?? e}`);
    process.exit(1);
  },
);
