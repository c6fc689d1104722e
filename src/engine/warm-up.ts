// Runs the pure pipeline over sample inputs once, so that the code cache written at build time holds
// compiled code for the paths a plan takes (see bin/bundle.js and build.mjs). Touches nothing.
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { DesiredState, LiveState } from '../model.js';
import { checkAgainstLive, loadDesiredState } from '../config/load.js';
import { normaliseLive } from '../live/normalise.js';
import { diff } from '../diff/diff.js';
import { buildPlan } from '../plan/plan.js';
import { renderDrift, renderPlan } from '../render/human.js';
import { planJson } from '../render/json.js';
import { renderScript } from '../render/script.js';

export interface WarmUpSamples {
  files: { name: string; text: string }[];
  lives: RawLive[];
  facts: HostFacts;
}

/** Returns how many plans it made (the build checks that it made some). */
export function warmUp({ files, lives, facts }: WarmUpSamples): number {
  const states: LiveState[] = lives.map((raw) => normaliseLive(raw, facts, 'warm-up'));
  const desired: DesiredState[] = files.flatMap((f) => loadDesiredState(f.text, f.name, facts).desired ?? []);
  let plans = 0;
  for (const d of [...desired, { file: '(empty)', resources: new Map() }]) {
    for (const live of states) {
      if (checkAgainstLive(d, live).length) continue; // as makePlan: such a pair is never planned
      const plan = buildPlan(diff(d, live), d, live);
      renderPlan(plan, { color: false });
      renderDrift(plan);
      JSON.stringify(planJson(plan));
      renderScript(plan);
      plans++;
    }
  }
  return plans;
}
