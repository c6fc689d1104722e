// A diagnostic as a person reads it and as --json gives it: errors, and a plan's warnings.
import type { Diagnostic } from '../model.js';
import { printable } from '../util/text.js';

// Text from the file or the kernel is printed with its control characters escaped (util/text.ts).
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${printable(d.source.file)}:${d.source.line}:${d.source.col}: ` : '';
  const hint = d.hint ? `\n    hint: ${printable(d.hint, true).replace(/\n/g, '\n          ')}` : '';
  return `${where}${d.severity}: ${printable(d.message)}${hint}`;
}

export function diagnosticJson(d: Diagnostic) {
  return {
    severity: d.severity,
    message: d.message,
    hint: d.hint ?? null,
    file: d.source?.file ?? null,
    line: d.source?.line ?? null,
    column: d.source?.col ?? null,
  };
}
