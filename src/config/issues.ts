// zod's issues, as nethost words errors: the field named, the value quoted, what is allowed said
// (`vni 99999999 is out of range 0–16777215`, `mtu must be a number, not a string "1500"`), each at
// its place in the file. Pure.
import type { z } from 'zod';
import type { Diagnostic, SourceRef } from '../model.js';
import { describeValue, printable, quote } from '../util/text.js';
import type { Path } from './yaml.js';

/** Edit distance, one row at a time. */
function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

// A file with a misspelt key usually has it many times over: each (word, options) pair is worked out once.
const suggestions = new Map<string, string | undefined>();

export function suggest(word: string, options: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // no option is that long, and the distance costs its square
  const id = `${word}\0${options.join('\0')}`;
  if (suggestions.has(id)) return suggestions.get(id);
  let best: string | undefined;
  let score = Infinity;
  for (const o of options) {
    const s = levenshtein(word, o);
    if (s < score) [best, score] = [o, s];
  }
  const found = score <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
  if (suggestions.size < 10_000) suggestions.set(id, found);
  return found;
}

/** The schemas a value at `path` under `schema` may have to match (optional, default, pipes and
 *  unions unwrapped): where the bounds of a number, say, are found. Reads zod 4's definitions. */
function schemasAt(schema: z.ZodType, path: Path): any[] {
  const unwrap = (s: any): any[] => {
    for (;;) {
      const d = s?._zod?.def;
      if (!d) return [];
      if (d.type === 'union') return d.options.flatMap(unwrap);
      if (
        d.innerType &&
        ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)
      )
        s = d.innerType;
      else if (d.type === 'pipe') s = d.in;
      else return [s];
    }
  };
  let here = unwrap(schema);
  for (const step of path) {
    here = here.flatMap((s) => {
      const d = s._zod.def;
      if (d.type === 'object' && typeof step === 'string' && step in d.shape) return unwrap(d.shape[step]);
      if (d.type === 'array' && typeof step === 'number') return unwrap(d.element);
      if (d.type === 'record') return unwrap(d.valueType);
      return [];
    });
  }
  return here;
}

/** A number's bounds as the schema states them; a bound past the safe integers is no bound. */
function numberBounds(schemas: any[]): { min?: number; max?: number; int: boolean } | undefined {
  const n = schemas.find((s) => s._zod.def.type === 'number');
  if (!n) return undefined;
  const bound = (v: unknown) => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  return { min: bound(n.minValue), max: bound(n.maxValue), int: !!n.isInt };
}

const valueAt = (data: unknown, path: Path): unknown =>
  path.reduce<any>((v, step) => (v !== null && typeof v === 'object' ? v[step] : undefined), data);

/** How an error names the field: its key, with the index of a list entry (`addresses[1]`). */
function fieldName(path: Path): string {
  if (path[0] === 'sysctls' && path.length === 2) return `sysctl ${printable(String(path[1]))}`;
  let i = path.length;
  while (i > 0 && typeof path[i - 1] === 'number') i--;
  const key = i > 0 ? printable(String(path[i - 1])) : 'the file';
  return (
    key +
    path
      .slice(i)
      .map((n) => `[${n}]`)
      .join('')
  );
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** What to write for a value of the wrong type, from what it is and what is wanted. */
function typeHint(expected: string, value: unknown, key: string, bounds: ReturnType<typeof numberBounds>): string {
  if (
    (expected === 'number' || expected === 'int') &&
    typeof value === 'string' &&
    value.trim() !== '' &&
    Number.isFinite(Number(value))
  )
    return `write it without quotes: ${key}: ${value.trim()}`;
  if (expected === 'number' || expected === 'int') return rangeHint(bounds) ?? 'write a number';
  if (expected === 'boolean')
    return typeof value === 'string'
      ? 'write true or false, unquoted (yes, no, on and off are text in YAML 1.2)'
      : 'write true or false';
  if (expected === 'array') return `write a list: ${key}: [a, b] or one "- " entry per line`;
  if (expected === 'object' || expected === 'record')
    return `write a mapping: ${key}: {name: value}, or "name: value" lines indented under it`;
  if (expected === 'string') return `write text (quoted if it looks like a number or true/false): ${key}: "…"`;
  return 'see nethost.yaml(5) for what this field takes';
}

function rangeHint(b: ReturnType<typeof numberBounds>): string | undefined {
  if (!b) return undefined;
  const what = b.int ? 'a whole number' : 'a number';
  if (b.min !== undefined && b.max !== undefined) return `write ${what} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `write ${what} of at least ${b.min}`;
  if (b.max !== undefined) return `write ${what} of at most ${b.max}`;
  return `write ${what}`;
}

/** How much an issue says about the value: a refinement's own words most, a list of options least. */
const SPECIFIC: Record<string, number> = { custom: 4, invalid_format: 4, too_big: 3, too_small: 3, invalid_value: 2 };

/** The innermost problems of a union: those of the branches whose type matched (the most specific
 *  first: text that is no table name says why as text), else every branch's type. */
function unionLeaves(issue: any): any[] {
  const leaves = (issue.errors as any[][]).flat().flatMap((i) => (i.code === 'invalid_union' ? unionLeaves(i) : [i]));
  const specific = leaves
    .filter((i) => i.code !== 'invalid_type')
    .sort((a, b) => (SPECIFIC[b.code] ?? 1) - (SPECIFIC[a.code] ?? 1));
  return specific.length ? specific : leaves;
}

/** One zod issue as "FIELD VALUE is …; write …": the field named, the value quoted, the allowed shown. */
function describeIssue(
  issue: any,
  field: string,
  key: string,
  value: unknown,
  schemas: any[],
): { message: string; hint: string } {
  const bounds = numberBounds(schemas);
  switch (issue.code) {
    case 'invalid_union': {
      const leaves = unionLeaves(issue);
      if (leaves.every((i) => i.code === 'invalid_type')) {
        const wanted = [...new Set(leaves.map((i) => TYPE_WORDS[i.expected] ?? i.expected))];
        const list =
          wanted.length > 1 ? `${wanted.slice(0, -1).join(', ')} or ${wanted[wanted.length - 1]}` : wanted[0];
        return {
          message: `${field} must be ${list}, not ${describeValue(value)}`,
          hint: 'see nethost.yaml(5) for the forms this field takes',
        };
      }
      return describeIssue(leaves[0], field, key, value, schemas);
    }
    case 'invalid_type': {
      if (issue.expected === 'int')
        return {
          message: `${field} must be an integer, not ${describeValue(value)}`,
          hint: rangeHint(bounds) ?? 'write a whole number',
        };
      const wanted = TYPE_WORDS[issue.expected] ?? issue.expected;
      return {
        message: `${field} must be ${wanted}, not ${describeValue(value)}`,
        hint: typeHint(issue.expected, value, key, bounds),
      };
    }
    case 'too_big':
    case 'too_small': {
      if (issue.origin === 'number' || issue.origin === 'int') {
        const min = bounds?.min ?? (issue.code === 'too_small' ? issue.minimum : undefined);
        const max = bounds?.max ?? (issue.code === 'too_big' ? issue.maximum : undefined);
        const range =
          min !== undefined && max !== undefined
            ? `out of range ${min}–${max}`
            : max !== undefined
              ? `more than ${max}`
              : `less than ${min}`;
        return {
          message: `${field} ${describeValue(value).replace(/^the number /, '')} is ${range}`,
          hint: rangeHint({ min, max, int: bounds?.int ?? false })!,
        };
      }
      break;
    }
    case 'invalid_value':
      if ('values' in issue) {
        const values = (issue.values as unknown[]).map(String);
        return {
          message: `${field} ${quote(value)} is not one of ${values.join(', ')}`,
          hint: `write one of: ${values.join(', ')}`,
        };
      }
      break;
    case 'custom':
    case 'invalid_format': {
      // Refinements say "problem; what to write instead".
      const [problem, hint] = String(issue.message).split('; ');
      return {
        message: `${field} ${quote(value)}: ${problem}`,
        hint: hint ?? 'see nethost.yaml(5) for what this field takes',
      };
    }
  }
  return {
    message: `${field}: ${String(issue.message).replace(/^Invalid input: /, '')}`,
    hint: 'see nethost.yaml(5) for what this field takes',
  };
}

/** zod's issues for one entry (`input`, checked against `schema`) → diagnostics at their places. */
export function zodDiagnostics(
  err: z.ZodError,
  schema: z.ZodType,
  input: unknown,
  base: Path,
  allowed: readonly string[],
  at: (p: Path, key?: boolean) => SourceRef | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>(); // one problem per field: the first zod found there
  for (const issue of err.issues) {
    const rel = issue.path as Path;
    const path = [...base, ...rel];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const s = suggest(k, allowed);
        out.push({
          severity: 'error',
          message: `unknown key ${quote(k)}`,
          hint: s ? `did you mean "${s}"?` : `allowed here: ${allowed.join(', ')}`,
          path: [...path, k],
          source: at([...path, k], true),
        });
      }
      continue;
    }
    const id = JSON.stringify(path);
    if (seen.has(id)) continue;
    seen.add(id);
    const value = valueAt(input, rel);
    const key = printable(String(path[path.length - 1]));
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined) {
      out.push({
        severity: 'error',
        message: `missing required key "${key}"`,
        hint: `add ${key}: (see nethost.yaml(5))`,
        path,
        source: at(path.slice(0, -1)),
      });
      continue;
    }
    const { message, hint } = describeIssue(issue, fieldName(path), key, value, schemasAt(schema, rel));
    out.push({ severity: 'error', message, hint, path, source: at(path) ?? at(path.slice(0, -1)) });
  }
  return out;
}
