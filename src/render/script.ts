// A plan as a runnable sh script: the exact commands, in order, each argument shell-quoted.
import type { Plan } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import { commandLine } from '../exec/execute.js';

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function renderScript(plan: Plan): string {
  const lines = ['#!/bin/sh', `# nethost plan --script${plan.netns ? ` --netns ${plan.netns}` : ''}: ${plan.operations.length} operations`];
  // The number itself must stay in the commands: ip knows no name for it unless rt_protos gives one.
  if (plan.operations.some((o) => o.args.includes(String(NETHOST_PROTO))))
    lines.push(`# proto/protocol ${NETHOST_PROTO} is nethost: its mark on the routes, rules and neighbours it owns`);
  lines.push('set -e');
  for (const op of plan.operations) lines.push(commandLine(op, plan.netns).map(shellQuote).join(' '));
  return lines.join('\n') + '\n';
}
