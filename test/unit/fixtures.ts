// Loads the captured iproute2 JSON in test/fixtures/host/ (see test/fixtures/capture.sh) into the
// shapes the pure core takes, and small helpers the unit tests share.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RawLink } from '../../src/backends/ip/raw.js';
import type { RawLive } from '../../src/backends/types.js';
import type { HostFacts } from '../../src/kinds/types.js';
import type { DesiredState, LiveState, Plan } from '../../src/model.js';
import { normaliseLive } from '../../src/live/normalise.js';
import { loadDesiredState, type LoadResult } from '../../src/config/load.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { sysctlPath } from '../../src/kinds/sysctl.js';

export const HOST = join(import.meta.dirname, '..', 'fixtures', 'host');
export type Scenario = 'empty' | 'rich' | 'applied' | 'vx1-deleted' | 'rule6-nofamily' | 'neigh-noarp' | 'fidelity';

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

/** `sysctl -e KEY...` output → path → value, as read.ts maps it. */
function parseSysctl(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+) = ?(.*)$/.exec(line);
    if (m) out[sysctlPath(m[1])] = m[2].trim();
  }
  return out;
}

/** The RawLive that readRawLive would have returned in the scenario's namespace. */
export function raw(s: Scenario): RawLive {
  const dir = join(HOST, s);
  const sys = join(dir, 'sysctl.txt');
  return {
    links: json(join(dir, 'address.json')),
    // read.ts runs `neigh show nud all`; scenarios captured with both keep the plain dump beside it.
    neighbors: json(join(dir, existsSync(join(dir, 'neigh-all.json')) ? 'neigh-all.json' : 'neigh.json')),
    routes4: json(join(dir, 'route4.json')),
    rules4: json(join(dir, 'rule4.json')),
    routes6: json(join(dir, 'route6.json')),
    rules6: json(join(dir, 'rule6.json')),
    sysctls: existsSync(sys) ? parseSysctl(readFileSync(sys, 'utf8')) : {},
    ovs: null,
  };
}

export const facts = (): HostFacts => json(join(HOST, 'facts.json'));

export const live = (s: Scenario, netns = 'ns-test'): LiveState => normaliseLive(raw(s), facts(), netns);

export const rawLink = (s: Scenario, name: string): RawLink => {
  const l = raw(s).links.find((x) => x.ifname === name);
  if (!l) throw new Error(`fixture ${s} has no link ${name}`);
  return l;
};

export const fileText = (s: Scenario) => readFileSync(join(HOST, s, 'nethost.yaml'), 'utf8');

export function load(text: string, file = 'test.yaml'): LoadResult {
  return loadDesiredState(text, file, facts());
}

/** Loads a file that must be valid; fails the test with its diagnostics otherwise. */
export function desired(text: string, file = 'test.yaml'): DesiredState {
  const r = load(text, file);
  if (!r.desired)
    throw new Error(
      `expected a valid file, got:\n${r.diagnostics.map((d) => `${d.source?.line}:${d.source?.col} ${d.message}`).join('\n')}`,
    );
  return r.desired;
}

export function plan(d: DesiredState, l: LiveState): Plan {
  return buildPlan(diff(d, l), d, l);
}

/** Position of the first operation of a resource in the put phase (-1 if none). */
export const putIndex = (p: Plan, id: string) => p.operations.findIndex((o) => o.resource === id && o.phase === 'put');
export const delIndex = (p: Plan, id: string) =>
  p.operations.findIndex((o) => o.resource === id && o.phase === 'delete');
