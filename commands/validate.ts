import * as Args from '@oclif/core/args';
import { jsonFlag, NethostCommand, toJson } from './base.js';
import { printable } from '../src/util/text.js';

export default class Validate extends NethostCommand {
  static summary = 'Check a nethost file offline: syntax, schema and references. Needs no root.';
  static examples = ['<%= config.bin %> validate /etc/nethost.yaml'];
  static args = { file: Args.string({ required: true, description: 'the nethost YAML file' }) };
  static flags = { json: jsonFlag };

  async run() {
    const { args, flags } = await this.parse(Validate);
    this.json = flags.json;
    const { loadFile } = await import('../src/engine/index.js');
    const desired = await loadFile(args.file);
    if (this.json) this.out(toJson({ valid: true, file: args.file, resources: desired.resources.size }) + '\n');
    else this.out(`${printable(args.file)}: valid (${desired.resources.size} resources)\n`);
  }
}
