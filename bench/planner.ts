// The pure planner in-process: config text → DesiredState (load), raw `ip -j` JSON → LiveState
// (normalise), then check + diff + ordered plan (makePlan), on ~10,000 synthetic resources.
// bench/run.mjs bundles this file with esbuild against the tree under test and runs it in fresh
// node processes:
//   node planner.mjs --bridges 2500 --template raw-template.json [--case empty|in-sync] [--warm 3] [--budget-ms 20000]
// Prints one JSON object on stdout. Each bridge brings 4 resources (bridge, vxlan, address, route),
// so 2500 bridges are 10,000 resources (+ the underlay and its address).
//
// Cases:
//   empty   — live state as a fresh namespace has it (lo, the underlay): the plan creates everything;
//   in-sync — live state of a namespace where nethost already applied the file: the plan is empty.
// The in-sync live state is made from a template captured from a real `nethost apply` of the
// 2-bridge file (bench/run.mjs does this), each br1/vx1 object cloned N times with names, VNI
// and addresses rewritten: the same JSON shapes the kernel prints.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadDesiredState } from '../src/config/load.js';
import { normaliseLive } from '../src/live/normalise.js';
import { makePlan } from '../src/engine/index.js';
// @ts-expect-error plain JS module
import { nethostYaml } from './gen.mjs';

type Raw = Record<string, any[]>;

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const bridges = Number(opt('bridges', '2500'));
const warm = Number(opt('warm', '3'));
const budgetMs = Number(opt('budget-ms', '20000'));
const templatePath = opt('template');
const only = opt('case');

const facts = { users: {}, groups: {}, tables: {} };
const hex = (i: number) => i.toString(16);

/** Objects that belong to br1 / vx1 (by name or dev) are cloned for every i; those of br2 / vx2 dropped. */
function expand(t: Raw, n: number, withBridges: boolean): Raw {
  const owner = (o: any): number | undefined => {
    const name = o.ifname ?? o.dev;
    const m = typeof name === 'string' ? /^(?:br|vx)(\d+)$/.exec(name) : null;
    return m ? Number(m[1]) : undefined;
  };
  const out: Raw = {};
  let ifindex = 100;
  for (const [key, list] of Object.entries(t)) {
    if (!Array.isArray(list)) {
      out[key] = list;
      continue;
    }
    const res: any[] = [];
    for (const o of list) {
      const who = owner(o);
      if (who === undefined) {
        res.push(o);
        continue;
      }
      if (who !== 1 || !withBridges) continue;
      const text = JSON.stringify(o);
      for (let i = 1; i <= n; i++) {
        const c = JSON.parse(
          text
            .replace(/"br1"/g, `"br${i}"`)
            .replace(/"vx1"/g, `"vx${i}"`)
            .replace(/2001:db8:1:1::/g, `2001:db8:1:${hex(i)}::`)
            .replace(/2001:db8:2:1::/g, `2001:db8:2:${hex(i)}::`),
        );
        if (c.ifindex !== undefined) c.ifindex = ifindex++;
        if (c.linkinfo?.info_kind === 'vxlan' && c.linkinfo.info_data) c.linkinfo.info_data.id = i;
        res.push(c);
      }
    }
    out[key] = res;
  }
  return out;
}

function minimalRaw(): Raw {
  // What a fresh bench namespace holds, when no template was captured.
  const lo = {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    mtu: 65536,
    link_type: 'loopback',
    address: '00:00:00:00:00:00',
    addr_info: [],
  };
  const uplink = {
    ifindex: 2,
    ifname: 'uplink',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    link_type: 'ether',
    address: '02:00:00:00:00:01',
    linkinfo: { info_kind: 'veth' },
    addr_info: [{ family: 'inet', local: '198.51.100.1', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 }],
  };
  return { links: [lo, uplink], neighbors: [], routes4: [], rules4: [], routes6: [], rules6: [], sysctls: {} as any };
}

function once(text: string, raw: Raw) {
  const t0 = performance.now();
  const r = loadDesiredState(text, 'bench.yaml', facts as any);
  const t1 = performance.now();
  if (!r.desired) throw new Error(`load failed: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  const live = normaliseLive(raw as any, facts as any, 'bench');
  const t2 = performance.now();
  const plan = makePlan(r.desired, live);
  const t3 = performance.now();
  return {
    load: t1 - t0,
    normalise: t2 - t1,
    plan: t3 - t2,
    total: t3 - t0,
    resources: r.desired.resources.size,
    liveResources: live.resources.size,
    changes: plan.changes.length,
    operations: plan.operations.length,
  };
}

const text = nethostYaml(bridges);
const template: Raw | undefined = templatePath ? JSON.parse(readFileSync(templatePath, 'utf8')) : undefined;
const cases: Record<string, Raw> = {
  empty: template ? expand(template, bridges, false) : minimalRaw(),
};
if (template) cases['in-sync'] = expand(template, bridges, true);
if (only) for (const k of Object.keys(cases)) if (k !== only) delete cases[k];

const result: Record<string, unknown> = { bridges, resources: 0, cases: {} as Record<string, unknown> };
const started = performance.now();
for (const [name, raw] of Object.entries(cases)) {
  const cold = once(text, raw);
  const warmRuns: ReturnType<typeof once>[] = [];
  for (let i = 0; i < warm && performance.now() - started < budgetMs; i++) warmRuns.push(once(text, raw));
  result.resources = cold.resources;
  (result.cases as any)[name] = { cold, warm: warmRuns };
}
result.peakRssKb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify(result) + '\n');
