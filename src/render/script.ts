// A plan as a runnable sh script: the exact commands, in order, each argument shell-quoted.
import type { Plan } from '../model.js';
import { commandLine } from '../backends/index.js';

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function renderScript(plan: Plan): string {
  const lines = ['#!/bin/sh', `# nethost plan --script${plan.netns ? ` --netns ${plan.netns}` : ''}: ${plan.operations.length} operations`, 'set -e'];
  for (const op of plan.operations) lines.push(commandLine(op, plan.netns).map(shellQuote).join(' '));
  return lines.join('\n') + '\n';
}
