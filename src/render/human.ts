// render: a plan as a person reads it, in the manner of terraform (+ create, ~ update, -/+ replace,
// - delete) plus "adopt" for existing objects that nethost starts to manage.
import type { AttrChange, AttrValue, Change, Operation, Plan } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import { isLinkKind } from '../registry/kinds.js';
import { describe } from './describe.js';
import { formatDiagnostic } from './diagnostics.js';
import { reasonsLine } from './reasons.js';
import { kindOf } from '../registry/kinds.js';
import { printable, quote, showValue } from '../util/text.js';

export interface Style {
  color: boolean;
}

const SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', replace: '-/+', delete: '-', adopt: '&' };
const COLOR: Record<Change['action'], number> = { create: 32, update: 33, replace: 35, delete: 31, adopt: 36 };
const WARN = '⚠';

const paint = (s: Style, code: number, text: string) => (s.color ? `\x1b[${code}m${text}\x1b[0m` : text);
// Names and values come from the file and the kernel: printed with control characters escaped.
const show = (v: AttrValue | undefined) => showValue(v);
// `mark` (and an adopted device's `keep` and `was`, parts of its alias) is shown in words by markLine; a link's
// `addresses` are the address changes listed with it.
const HIDDEN = new Set(['mark', 'keep', 'was', 'addresses']);

function title(c: Change): string {
  const r = (c.after ?? c.before)!;
  return printable(describe(r));
}

/** An adopted link's own ifalias, which nethost's mark replaces: worth saying, it is someone's. */
function replacedAlias(c: Change): string | undefined {
  const before = c.before?.attrs.mark;
  return c.action === 'adopt' && c.id.startsWith('link:') && typeof before === 'string' && before !== ''
    ? quote(before)
    : undefined;
}

export function summarize(plan: Plan): Record<Change['action'] | 'disruptive', number> {
  const s = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0, disruptive: 0 };
  for (const c of plan.changes) {
    s[c.action]++;
    if (c.disruptive) s.disruptive++;
  }
  return s;
}

/** nethost's protocol number, as a person reads it, and what an unmarked object shows. */
const protoName = (v: AttrValue | undefined, none: string) =>
  v === String(NETHOST_PROTO) ? 'nethost' : v === null || v === undefined ? none : String(v);

/**
 * The ownership mark as it changes on something nethost did not create (adopting it, or a rollback
 * giving it back): the old alias or protocol, and what is written instead — for a link, the alias its
 * operation writes (with the addresses an adopted device keeps).
 */
function markLine(c: Change, a: AttrChange, ops: Operation[]): string | undefined {
  if (c.action === 'create' || c.action === 'delete') return undefined;
  if (isLinkKind(c.kind)) {
    const written = ops.find((o) => o.args[0] === 'link' && o.args[1] === 'set' && o.args.includes('alias'));
    const after = written ? written.args[written.args.indexOf('alias') + 1] : a.after;
    const q = (v: AttrValue | undefined) =>
      v === null || v === undefined || v === '' ? '(none)' : `"${printable(String(v))}"`;
    return `alias ${q(a.before)} → ${q(after)}`;
  }
  const words = kindOf(c.kind).markWords ?? { field: 'protocol', none: '(none)' };
  return `${words.field} ${protoName(a.before, words.none)} → ${protoName(a.after, words.none)}`;
}

export function renderChange(c: Change, style: Style, ops: Operation[] = []): string[] {
  const lines: string[] = [];
  const sym = paint(style, COLOR[c.action], SYMBOL[c.action].padStart(3));
  let head = `${sym} ${title(c)}`;
  const notes: string[] = [];
  const alias = replacedAlias(c);
  if (c.action === 'adopt')
    notes.push(
      `exists, not created by nethost: will be marked as managed${alias ? `, replacing its alias ${alias}` : ''}`,
    );
  if (c.reasons.length) notes.push(printable(reasonsLine(c.reasons)));
  if (c.action === 'delete' && c.before?.attrs.mark === 'nethost:existing')
    notes.push(
      `existing device: released, never deleted; the addresses it had before nethost stay${typeof c.before.attrs.was === 'string' ? `, and its alias goes back to "${printable(c.before.attrs.was)}"` : ''}`,
    );
  const note = kindOf(c.kind).note?.(c);
  if (note) notes.push(note);
  if (notes.length) head += `  (${notes.join('; ')})`;
  if (c.disruptive)
    head +=
      ' ' +
      paint(
        style,
        31,
        `${WARN} ${c.action === 'delete' || c.action === 'replace' ? 'link removed or recreated' : 'link interrupted'}`,
      );
  lines.push(head);
  const detail = kindOf(c.kind).detailLines;
  if (detail)
    return lines.concat(
      detail(c).map((l) =>
        l.op ? `        ${paint(style, l.op === '+' ? 32 : 31, l.op)} ${printable(l.text)}` : `      ${l.text}`,
      ),
    );
  return lines.concat(attrLines(c, style, ops));
}

function attrLines(c: Change, style: Style, ops: Operation[]): string[] {
  const out: string[] = [];
  const width = Math.max(0, ...c.attrs.filter((a) => !HIDDEN.has(a.name)).map((a) => a.name.length));
  for (const a of c.attrs) {
    if (a.name === 'mark') {
      const line = markLine(c, a, ops);
      if (line) out.push(`      ${line}`);
      continue;
    }
    if (HIDDEN.has(a.name)) continue;
    const name = a.name.padEnd(width);
    if (c.action === 'create') {
      // The title already names it; false flags are the kernel's defaults.
      if (a.after === false || kindOf(c.kind).titleAttrs?.includes(a.name)) continue;
      out.push(`      ${name} = ${show(a.after)}`);
    } else if (c.action === 'delete') continue;
    else
      out.push(
        `      ${name} ${show(a.before)} → ${show(a.after)}${a.forcesReplace ? paint(style, 35, '   # forces replacement') : ''}`,
      );
  }
  return out;
}

const warningLines = (plan: Plan) => (plan.warnings ?? []).map(formatDiagnostic);

export function renderPlan(plan: Plan, style: Style): string {
  if (!plan.changes.length)
    return (
      [
        `No changes. ${plan.netns ? `Namespace ${plan.netns}` : 'The host'} matches the file.`,
        ...(plan.leftAlone ?? []).map((n) => `  ! ${n}`),
        ...warningLines(plan),
      ].join('\n') + '\n'
    );
  const lines = [`nethost will make these changes${plan.netns ? ` in namespace ${plan.netns}` : ''}:`, ''];
  const opsOf = new Map<string, Operation[]>();
  for (const o of plan.operations) (opsOf.get(o.resource) ?? opsOf.set(o.resource, []).get(o.resource)!).push(o);
  for (const c of plan.changes) lines.push(...renderChange(c, style, opsOf.get(c.id)));
  const s = summarize(plan);
  if (plan.leftAlone?.length) lines.push('', ...plan.leftAlone.map((n) => `  ! ${n}`));
  lines.push(
    '',
    `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.adopt} to adopt; ${plan.operations.length} operations.`,
  );
  if (s.disruptive)
    lines.push(
      paint(
        style,
        31,
        `${WARN} ${s.disruptive} ${s.disruptive > 1 ? 'changes take a link down or recreate it' : 'change takes a link down or recreates it'}.`,
      ),
    );
  lines.push(...warningLines(plan));
  return lines.join('\n') + '\n';
}

/** One line per change, for drift-check. */
export function renderDrift(plan: Plan): string {
  const lines = plan.changes.map((c) => {
    const alias = replacedAlias(c);
    const what =
      c.action === 'create'
        ? 'missing'
        : c.action === 'delete'
          ? 'not in the file'
          : c.action === 'adopt'
            ? `not marked as managed${alias ? ` (alias ${alias})` : ''}`
            : kindOf(c.kind).summarise
              ? kindOf(c.kind).summarise!(c)
              : c.attrs
                  .filter((a) => !HIDDEN.has(a.name))
                  .map((a) => `${a.name} ${show(a.before)} → ${show(a.after)}`)
                  .join(', ') || reasonsLine(c.reasons);
    return printable(`drift: ${describe((c.after ?? c.before)!)}: ${what}`);
  });
  for (const n of plan.leftAlone ?? []) lines.push(`drift: ${n}`);
  return lines.join('\n') + '\n';
}
