// A plan as a runnable sh script: the exact commands, in order, each argument shell-quoted.
import type { Plan } from '../model.js';
import { commandInput, commandLine } from '../backends/index.js';

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function renderScript(plan: Plan): string {
  const lines = ['#!/bin/sh', `# nethost plan --script${plan.netns ? ` --netns ${plan.netns}` : ''}: ${plan.operations.length} operations`, 'set -e'];
  for (const op of plan.operations) {
    const cmd = commandLine(op, plan.netns).map(shellQuote).join(' ');
    const input = commandInput(op);
    if (input === undefined) {
      lines.push(cmd);
      continue;
    }
    // What the command reads on stdin, as a quoted here-document (nothing in it is expanded).
    let tag = 'NETHOST_EOF';
    while (input.split('\n').includes(tag)) tag += '_';
    lines.push(`${cmd} <<'${tag}'`, input.replace(/\n$/, ''), tag);
  }
  return lines.join('\n') + '\n';
}
