// Static imports for Node's own modules: the bundle runs from V8's code cache, where a dynamic
// import() of a built-in has no loader.
import { createInterface } from 'node:readline';
import { createInterface as createPromisesInterface } from 'node:readline/promises';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { jsonFlag, netnsFlag, ovsdbFlag, NethostCommand, toJson, useColor } from './base.js';
import type { Plan } from '../src/model.js';

export default class Apply extends NethostCommand {
  static summary = 'Make the live state match the file: all or nothing, verified afterwards.';
  static description =
    'Shows the plan and asks for confirmation on a terminal (without one it refuses unless --yes). If any operation fails, or the result does not verify, everything the plan touched is put back as it was, and the exit status is 1.';
  static examples = ['<%= config.bin %> apply host.yaml', '<%= config.bin %> apply host.yaml --netns lab1 --yes'];
  static args = { file: Args.string({ required: true, description: 'the nethost YAML file' }) };
  static flags = {
    netns: netnsFlag,
    ovsdb: ovsdbFlag,
    json: jsonFlag,
    yes: Flags.boolean({ char: 'y', description: 'apply without asking' }),
    confirm: Flags.integer({
      min: 1,
      max: 3600,
      description:
        'after a verified apply, keep the changes only if "yes" is answered within SECONDS (on the terminal, or a line on standard input); otherwise roll them back, like netplan try',
    }),
    'lock-timeout': Flags.integer({
      min: 0,
      max: 86400,
      default: 0,
      description: 'seconds to wait for another apply on the same namespace to finish (default: refuse at once)',
    }),
  };

  async run() {
    const { args, flags } = await this.parse(Apply);
    this.json = flags.json;
    const { applyFile } = await import('../src/engine/index.js');
    const { renderPlan } = await import('../src/render/human.js');
    const info = (s: string) => (this.json ? process.stderr.write(s) : this.out(s));
    const confirm = async (plan: Plan) => {
      info(renderPlan(plan, { color: useColor(this.json ? process.stderr : process.stdout) }));
      if (flags.yes) return true;
      if (!process.stdin.isTTY) {
        process.stderr.write('nethost: no terminal to confirm on; re-run with --yes to apply without asking\n');
        await this.exitWhenWritten(1);
      }
      const rl = createPromisesInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question('\nApply these changes? Only "yes" is accepted: ');
      rl.close();
      return answer.trim() === 'yes';
    };
    const seconds = flags.confirm;
    const keep = seconds
      ? async () => {
          const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: !!process.stdin.isTTY });
          process.stderr.write(
            `\nApplied and verified. Keep these changes? Type "yes" within ${seconds} s, or they are rolled back: `,
          );
          const answer = await new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), seconds * 1000);
            rl.once('line', (l) => (clearTimeout(timer), resolve(l)));
            rl.once('close', () => (clearTimeout(timer), resolve(undefined)));
          });
          rl.close();
          if (answer === undefined) process.stderr.write(`\nnethost: no answer within ${seconds} s\n`);
          return answer?.trim() === 'yes';
        }
      : undefined;
    const outcome = await applyFile(args.file, flags.netns, {
      confirm,
      keep,
      log: (l) => process.stderr.write(`nethost: ${l}\n`),
      lockTimeout: flags['lock-timeout'],
      options: { ovsdb: flags.ovsdb },
    });
    if (this.json) {
      const { planJson } = await import('../src/render/json.js');
      this.out(
        toJson({
          applied: outcome.applied,
          verified: outcome.applied,
          recovered: outcome.recovered ?? null,
          plan: planJson(outcome.plan, { ovsdb: flags.ovsdb }),
        }) + '\n',
      );
      return;
    }
    if (!outcome.plan.changes.length) this.out(renderPlan(outcome.plan, { color: false }));
    else if (!outcome.applied) this.out('Apply cancelled; nothing was changed.\n');
    else this.out(`Applied and verified: ${outcome.plan.operations.length} operations; a fresh plan is empty.\n`);
  }
}
