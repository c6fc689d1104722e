// The JSON form of a plan. Its shape is documented in nethost(1) and versioned by format_version:
// fields are only ever added within a version.
import type { Plan } from '../model.js';
import { describe } from './describe.js';
import { diagnosticJson } from './diagnostics.js';
import { reasonWords } from './reasons.js';
import { summarize } from './human.js';
import { commandInput, commandLine } from '../registry/backends.js';
import type { BackendOptions } from '../backends/types.js';
import { kindOf } from '../registry/kinds.js';

export const PLAN_FORMAT_VERSION = '3';

export function planJson(plan: Plan, options?: BackendOptions) {
  return {
    format_version: PLAN_FORMAT_VERSION,
    netns: plan.netns ?? null,
    summary: summarize(plan),
    changes: plan.changes.map((c) => ({
      id: c.id,
      kind: c.kind,
      name: describe((c.after ?? c.before)!),
      action: c.action,
      disruptive: c.disruptive,
      reasons: c.reasons.map(reasonWords),
      // Why, as stable codes (format 3 addition): kind-changed, immutable-attribute, dependency-recreated, reattached.
      reason_codes: c.reasons,
      attributes: c.attrs.map((a) => ({
        name: a.name,
        before: a.before ?? null,
        after: a.after ?? null,
        forces_replace: a.forcesReplace,
      })),
      // What the kind adds in its own terms (the firewall: rule by rule, by chain; format 2 addition).
      ...(kindOf(c.kind).jsonDetail?.(c) ?? {}),
    })),
    left_alone: plan.leftAlone ?? [],
    operations: plan.operations.map((o) => ({
      resource: o.resource,
      action: o.action,
      phase: o.phase,
      backend: o.backend,
      disruptive: o.disruptive,
      command: commandLine(o, plan.netns, options),
      ...(commandInput(o) !== undefined ? { input: commandInput(o) } : {}),
    })),
    warnings: (plan.warnings ?? []).map(diagnosticJson),
  };
}
