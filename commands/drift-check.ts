import * as Args from '@oclif/core/args';
import { jsonFlag, netnsFlag, ovsdbFlag, NethostCommand, toJson } from './base.js';

export default class DriftCheck extends NethostCommand {
  static summary = 'For cron and timers: say whether the live state still matches the file.';
  static description = 'Exit status: 0 in sync (and no output), 2 drift (a short summary), 1 error.';
  static examples = ['<%= config.bin %> drift-check /etc/nethost.yaml || logger -t nethost "network drift"'];
  static args = { file: Args.string({ required: true, description: 'the nethost YAML file' }) };
  static flags = { netns: netnsFlag, ovsdb: ovsdbFlag, json: jsonFlag };

  async run() {
    const { args, flags } = await this.parse(DriftCheck);
    this.json = flags.json;
    const { planFile } = await import('../src/engine/index.js');
    const { plan, interrupted } = await planFile(args.file, flags.netns, { ovsdb: flags.ovsdb });
    // A half-done apply is drift even where the objects the file names happen to match.
    const inSync = plan.changes.length === 0 && !plan.leftAlone?.length && !interrupted;
    if (flags.json) {
      const { planJson } = await import('../src/render/json.js');
      this.out(
        toJson({ in_sync: inSync, interrupted_apply: interrupted ?? null, ...planJson(plan, { ovsdb: flags.ovsdb }) }) +
          '\n',
      );
    } else if (!inSync) {
      const { renderDrift } = await import('../src/render/human.js');
      if (interrupted) this.out(`drift: ${interrupted}\n`);
      if (plan.changes.length || plan.leftAlone?.length) this.out(renderDrift(plan));
    }
    if (!inSync) await this.exitWhenWritten(2);
  }
}
