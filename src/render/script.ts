// A plan as a runnable sh script: the exact commands, in order, each argument shell-quoted.
import type { Plan } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import { backendOf, commandInput, commandLine } from '../registry/backends.js';
import type { BackendOptions } from '../backends/types.js';
import { invocations } from '../engine/execute.js';
import { shellQuote } from '../util/text.js';

export function renderScript(plan: Plan, options?: BackendOptions): string {
  const lines = [
    '#!/bin/sh',
    `# nethost plan --script${plan.netns ? ` --netns ${plan.netns}` : ''}: ${plan.operations.length} operations`,
  ];
  // The number itself must stay in the commands: ip knows no name for it unless rt_protos gives one.
  if (plan.operations.some((o) => o.args.includes(String(NETHOST_PROTO))))
    lines.push(`# proto/protocol ${NETHOST_PROTO} is nethost: its mark on the routes, rules and neighbours it owns`);
  lines.push('set -e');
  for (const inv of invocations(plan.operations)) {
    const b = backendOf(inv.ops[0]);
    if (b.script) {
      lines.push(...b.script(inv.ops, plan.netns, options));
      continue;
    }
    for (const op of inv.ops) {
      const cmd = commandLine(op, plan.netns, options).map(shellQuote).join(' ');
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
  }
  return lines.join('\n') + '\n';
}
