// Shared by every command: the --netns and --json flags, colour rules, and how errors are printed.
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import type { Diagnostic } from '../src/model.js';
import { NethostError } from '../src/model.js';
import { checkNetns } from '../src/util/netns.js';
import { printable } from '../src/util/text.js';
import { diagnosticJson, formatDiagnostic } from '../src/render/diagnostics.js';

/** oclif rewrites the message of an error thrown while it parses a flag ("Parsing --netns …"); this
 *  one keeps the sentence, which `catch` prints as it is. */
class FlagError extends NethostError {
  constructor(readonly sentence: string) {
    super(sentence);
  }
}

export const netnsFlag = Flags.string({
  description: 'named network namespace to read and change (ip -n NS); default: the current one',
  parse: async (input) => {
    try {
      checkNetns(input, '--netns');
    } catch (e) {
      throw new FlagError((e as Error).message);
    }
    return input;
  },
});
export const ovsdbFlag = Flags.string({
  description:
    "Open vSwitch database to use, unix:PATH (default: $NETHOST_OVSDB, else ovs-vsctl's own: $OVS_RUNDIR/db.sock)",
});
export const jsonFlag = Flags.boolean({ description: 'print machine-readable JSON on stdout' });

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org). */
export const useColor = (stream: NodeJS.WriteStream = process.stdout) =>
  !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

/** How many diagnostics an error prints (in line order): enough to fix in one go, never a flood. */
export const MAX_PRINTED_DIAGNOSTICS = 50;

/** "… and 12 more errors" (or warnings, or both) for what a capped list leaves out. */
export function omitted(rest: Diagnostic[]): string {
  const errors = rest.filter((d) => d.severity === 'error').length;
  const count = (n: number, what: string) => `${n} more ${what}${n === 1 ? '' : 's'}`;
  const parts = [
    errors && count(errors, 'error'),
    rest.length - errors && count(rest.length - errors, 'warning'),
  ].filter(Boolean);
  return `… and ${parts.join(' and ')}`;
}

/** JSON for the terminal: JSON.stringify escapes C0 controls in strings, this also DEL and C1. */
export const toJson = (v: unknown) =>
  JSON.stringify(v, null, 2).replace(/[\x7f-\x9f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

/** An error as printed on stderr: the sentence, then at most MAX_PRINTED_DIAGNOSTICS diagnostics. */
export function errorText(e: NethostError): string {
  const shown = e.diagnostics.slice(0, MAX_PRINTED_DIAGNOSTICS);
  const lines = [`nethost: ${printable(e.message, true)}`, ...shown.map(formatDiagnostic)];
  if (e.diagnostics.length > shown.length) lines.push(omitted(e.diagnostics.slice(shown.length)));
  return lines.join('\n') + '\n';
}

/** An error as --json prints it: the same first diagnostics, and how many there were in all. */
export function errorJson(e: NethostError) {
  return {
    error: e.message,
    diagnostics: e.diagnostics.slice(0, MAX_PRINTED_DIAGNOSTICS).map(diagnosticJson),
    diagnostics_total: e.diagnostics.length,
  };
}

export abstract class NethostCommand extends Command {
  protected json = false;

  private writes: Promise<void>[] = [];

  out(text: string) {
    this.writes.push(new Promise((resolve) => process.stdout.write(text, () => resolve())));
  }

  /**
   * Exits with `code` once everything written has reached the pipe: a pipe's writes are queued
   * when it is full, and exiting drops the queue (a large `plan --json | jq` came out cut).
   */
  protected async exitWhenWritten(code: number): Promise<never> {
    await Promise.all([...this.writes, new Promise<void>((r) => process.stderr.write('', () => r()))]);
    this.exit(code);
  }

  /** Prints an error the operator can act on and exits 1 (never a stack trace for expected failures). */
  protected async fail(e: unknown): Promise<never> {
    if (e instanceof NethostError) {
      if (this.json) this.out(toJson(errorJson(e)) + '\n');
      else process.stderr.write(errorText(e));
      return this.exitWhenWritten(e.exitCode);
    }
    throw e;
  }

  async catch(err: any): Promise<any> {
    if (err?.oclif?.exit !== undefined) throw err;
    if (err instanceof FlagError) {
      this.json ||= this.argv.includes('--json'); // the flags failed to parse: --json is read off argv
      return this.fail(new NethostError(err.sentence));
    }
    if (err instanceof NethostError) return this.fail(err);
    return super.catch(err);
  }
}
