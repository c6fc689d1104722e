// A plan as a runnable sh script: the exact commands, in order, each argument shell-quoted.
import type { Plan } from '../model.js';
import { backendOf, commandLine } from '../backends/index.js';
import type { BackendOptions } from '../backends/types.js';
import { invocations } from '../exec/execute.js';

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function renderScript(plan: Plan, options?: BackendOptions): string {
  const lines = ['#!/bin/sh', `# nethost plan --script${plan.netns ? ` --netns ${plan.netns}` : ''}: ${plan.operations.length} operations`, 'set -e'];
  for (const inv of invocations(plan.operations)) {
    const b = backendOf(inv.ops[0]);
    if (b.script) lines.push(...b.script(inv.ops, plan.netns, options));
    else for (const op of inv.ops) lines.push(commandLine(op, plan.netns, options).map(shellQuote).join(' '));
  }
  return lines.join('\n') + '\n';
}
