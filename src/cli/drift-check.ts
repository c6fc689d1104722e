import * as Args from '@oclif/core/args';
import { jsonFlag, netnsFlag, NethostCommand, toJson } from './base.js';

export default class DriftCheck extends NethostCommand {
  static summary = 'For cron and timers: say whether the live state still matches the file.';
  static description = 'Exit status: 0 in sync (and no output), 2 drift (a short summary), 1 error.';
  static examples = ['<%= config.bin %> drift-check /etc/nethost.yaml || logger -t nethost "network drift"'];
  static args = { file: Args.string({ required: true, description: 'the nethost YAML file' }) };
  static flags = { netns: netnsFlag, json: jsonFlag };

  async run() {
    const { args, flags } = await this.parse(DriftCheck);
    this.json = flags.json;
    const { planFile } = await import('../core.js');
    const { plan } = await planFile(args.file, flags.netns);
    if (flags.json) {
      const { planJson } = await import('../render/json.js');
      this.out(toJson({ in_sync: plan.changes.length === 0, ...planJson(plan) }) + '\n');
    } else if (plan.changes.length) {
      const { renderDrift } = await import('../render/human.js');
      this.out(renderDrift(plan));
    }
    if (plan.changes.length) this.exit(2);
  }
}
