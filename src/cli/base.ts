// Shared by every command: the --netns and --json flags, colour rules, and how errors are printed.
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import type { Diagnostic } from '../model.js';
import { NethostError } from '../model.js';

export const netnsFlag = Flags.string({ description: 'named network namespace to read and change (ip -n NS); default: the current one' });
export const ovsdbFlag = Flags.string({ description: 'Open vSwitch database to use, unix:PATH (default: $NETHOST_OVSDB, else ovs-vsctl\'s own: $OVS_RUNDIR/db.sock)' });
export const jsonFlag = Flags.boolean({ description: 'print machine-readable JSON on stdout' });

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org). */
export const useColor = (stream: NodeJS.WriteStream = process.stdout) => !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}:${d.source.col}: ` : '';
  const hint = d.hint ? `\n    hint: ${d.hint.replace(/\n/g, '\n          ')}` : '';
  return `${where}${d.severity}: ${d.message}${hint}`;
}

export function diagnosticJson(d: Diagnostic) {
  return { severity: d.severity, message: d.message, hint: d.hint ?? null, file: d.source?.file ?? null, line: d.source?.line ?? null, column: d.source?.col ?? null };
}

export abstract class NethostCommand extends Command {
  protected json = false;

  out(text: string) {
    process.stdout.write(text);
  }

  /** Prints an error the operator can act on and exits 1 (never a stack trace for expected failures). */
  protected fail(e: unknown): never {
    if (e instanceof NethostError) {
      if (this.json) {
        this.out(JSON.stringify({ error: e.message, diagnostics: e.diagnostics.map(diagnosticJson) }, null, 2) + '\n');
      } else {
        process.stderr.write(`nethost: ${e.message}\n`);
        for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
      }
      this.exit(e.exitCode);
    }
    throw e;
  }

  async catch(err: any): Promise<any> {
    if (err?.oclif?.exit !== undefined) throw err;
    if (err instanceof NethostError) return this.fail(err);
    return super.catch(err);
  }
}
