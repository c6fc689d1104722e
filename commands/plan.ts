import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { jsonFlag, netnsFlag, ovsdbFlag, NethostCommand, toJson, useColor } from './base.js';

export default class PlanCommand extends NethostCommand {
  static summary = 'Show the changes that would make the live state match the file.';
  static description =
    'Exit status: 0 nothing to do, 2 changes pending, 1 error (like terraform plan -detailed-exitcode).';
  static examples = [
    '<%= config.bin %> plan host.yaml',
    '<%= config.bin %> plan host.yaml --netns lab1 --json',
    '<%= config.bin %> plan host.yaml --script > apply.sh',
  ];
  static args = { file: Args.string({ required: true, description: 'the nethost YAML file' }) };
  static flags = {
    netns: netnsFlag,
    ovsdb: ovsdbFlag,
    json: jsonFlag,
    script: Flags.boolean({
      description: 'print the exact ip / sysctl commands as a runnable sh script',
      exclusive: ['json'],
    }),
  };

  async run() {
    const { args, flags } = await this.parse(PlanCommand);
    this.json = flags.json;
    const { planFile } = await import('../src/engine/index.js');
    const { plan, interrupted } = await planFile(args.file, flags.netns, { ovsdb: flags.ovsdb });
    if (interrupted) process.stderr.write(`nethost: warning: ${interrupted}\n`);
    if (flags.json) {
      const { planJson } = await import('../src/render/json.js');
      this.out(toJson(planJson(plan, { ovsdb: flags.ovsdb })) + '\n');
    } else if (flags.script) {
      const { renderScript } = await import('../src/render/script.js');
      this.out(renderScript(plan, { ovsdb: flags.ovsdb }));
    } else {
      const { renderPlan } = await import('../src/render/human.js');
      this.out(renderPlan(plan, { color: useColor() }));
    }
    if (plan.changes.length) await this.exitWhenWritten(2);
  }
}
