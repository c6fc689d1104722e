// Byte-for-byte proof that a refactoring changed nothing a user sees: for every example, every
// captured host file and every file the unit tests load (test/golden/inputs.json, captured from
// them once), against every captured live state, the outputs are compared with test/golden/:
// `validate`'s diagnostics (text and JSON), the checks against the live state, and the plan as
// text, drift lines, `--script` and `--json`. JSON fields added since the outputs were recorded
// (listed in ADDED_JSON) are left out of the comparison.
// NETHOST_GOLDEN_UPDATE=1 writes the files instead (only for a change that means to alter output).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DesiredState, LiveState } from '../../src/model.js';
import { checkAgainstLive, loadDesiredState } from '../../src/config/load.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { renderDrift, renderPlan } from '../../src/render/human.js';
import { planJson } from '../../src/render/json.js';
import { renderScript } from '../../src/render/script.js';
import { diagnosticJson, formatDiagnostic } from '../../src/render/diagnostics.js';
import { facts, HOST, live, type Scenario } from './fixtures.js';

const GOLDEN = join(import.meta.dirname, '..', 'golden');
const UPDATE = process.env.NETHOST_GOLDEN_UPDATE === '1';
/** Fields of plan --json added after the outputs were recorded: not part of the comparison. */
const ADDED_JSON = { top: ['format_version'], change: ['reason_codes'] };

const scenarios = readdirSync(HOST, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name as Scenario)
  .sort();
const lives: [string, LiveState][] = scenarios.map((s) => [s, live(s, 'golden')]);

function inputs(): { name: string; file: string; text: string }[] {
  const out: { name: string; file: string; text: string }[] = [];
  for (const f of readdirSync('examples')
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    out.push({ name: `examples/${f}`, file: `examples/${f}`, text: readFileSync(join('examples', f), 'utf8') });
  for (const s of scenarios) {
    const p = join(HOST, s, 'nethost.yaml');
    if (existsSync(p)) out.push({ name: `host/${s}`, file: 'nethost.yaml', text: readFileSync(p, 'utf8') });
  }
  const corpus: { text: string; file: string }[] = JSON.parse(readFileSync(join(GOLDEN, 'inputs.json'), 'utf8'));
  corpus.forEach((c, i) => out.push({ name: `corpus/${i}`, file: c.file, text: c.text }));
  return out;
}

function jsonWithoutAdded(j: any) {
  const copy = { ...j };
  for (const k of ADDED_JSON.top) delete copy[k];
  copy.changes = copy.changes.map((c: any) => {
    const x = { ...c };
    for (const k of ADDED_JSON.change) delete x[k];
    return x;
  });
  return copy;
}

/** The list of every kind an error offers ("write one of: bridge, …, ethernet") follows the registry:
 *  a new kind lengthens it, which is not a change of behaviour. */
const sameKinds = (text: string) =>
  text.replace(/write one of: (?:[\w-]+, )*[\w-]+/g, (m) =>
    m.includes('bridge') && m.includes('ethernet') ? 'write one of: (the registered kinds)' : m,
  );

/** Everything a user sees of one input: a text block, one section per output. */
function outputsOf(file: string, text: string): string {
  const f = facts();
  const r = loadDesiredState(text, file, f);
  const parts: string[] = [];
  parts.push(
    '## diagnostics',
    ...r.diagnostics.map(formatDiagnostic),
    JSON.stringify(r.diagnostics.map(diagnosticJson)),
  );
  if (!r.desired) return parts.join('\n');
  const targets: [string, DesiredState][] = [['file', r.desired]];
  for (const [name, l] of lives) {
    for (const [what, d] of targets) {
      parts.push(`## ${what} vs ${name}`);
      const problems = checkAgainstLive(d, l);
      parts.push(...problems.map(formatDiagnostic));
      if (problems.some((p) => p.severity === 'error')) continue;
      const plan = buildPlan(diff(d, l), d, l);
      parts.push(
        renderPlan(plan, { color: false }),
        renderPlan(plan, { color: true }),
        renderDrift(plan),
        renderScript(plan),
        JSON.stringify(jsonWithoutAdded(planJson(plan))),
      );
    }
  }
  return parts.join('\n');
}

describe('golden: what a user sees is unchanged, byte for byte', () => {
  const all = inputs();
  const path = join(GOLDEN, 'outputs.json.gz');
  const outputs: Record<string, string> = {};
  if (UPDATE) {
    for (const i of all) outputs[i.name] = outputsOf(i.file, i.text);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, gzipSync(JSON.stringify(outputs, null, 1)));
  }
  const recorded: Record<string, string> = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
  // Inputs added since the record (a new kind's example) are not compared: the record is of what
  // existed when it was made. Nothing recorded may disappear.
  it('nothing recorded is gone', () => {
    const now = new Set(all.map((i) => i.name));
    expect(Object.keys(recorded).filter((n) => !now.has(n))).toEqual([]);
  });
  it('records plans, not only diagnostics', () => {
    expect(Object.values(recorded).filter((o) => o.includes('nethost will make these changes')).length).toBeGreaterThan(
      100,
    );
  });
  for (const i of all.filter((i) => i.name in recorded))
    it(i.name, () => expect(sameKinds(outputsOf(i.file, i.text))).toBe(sameKinds(recorded[i.name])));
});
