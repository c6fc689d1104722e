// render: a plan as a person reads it, in the manner of terraform (+ create, ~ update, -/+ replace,
// - delete) plus "adopt" for existing objects that nethost starts to manage.
import type { AttrValue, Change, Plan } from '../model.js';
import { describe } from './describe.js';
import { printable, quote } from '../util/text.js';

export interface Style {
  color: boolean;
}

const SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', replace: '-/+', delete: '-', adopt: '&' };
const COLOR: Record<Change['action'], number> = { create: 32, update: 33, replace: 35, delete: 31, adopt: 36 };
const WARN = '⚠';

const paint = (s: Style, code: number, text: string) => (s.color ? `\x1b[${code}m${text}\x1b[0m` : text);
// Names and values come from the file and the kernel: printed with control characters escaped.
const show = (v: AttrValue | undefined) => printable(v === undefined ? '(unknown)' : v === null ? '(none)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
const HIDDEN = new Set(['mark']);

function title(c: Change): string {
  const r = (c.after ?? c.before)!;
  return printable(describe(r));
}

/** An adopted link's own ifalias, which nethost's mark replaces: worth saying, it is someone's. */
function replacedAlias(c: Change): string | undefined {
  const before = c.before?.attrs.mark;
  return c.action === 'adopt' && c.id.startsWith('link:') && typeof before === 'string' && before !== '' ? quote(before) : undefined;
}

export function summarize(plan: Plan): Record<Change['action'] | 'disruptive', number> {
  const s = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0, disruptive: 0 };
  for (const c of plan.changes) {
    s[c.action]++;
    if (c.disruptive) s.disruptive++;
  }
  return s;
}

export function renderChange(c: Change, style: Style): string[] {
  const lines: string[] = [];
  const sym = paint(style, COLOR[c.action], SYMBOL[c.action].padStart(3));
  let head = `${sym} ${title(c)}`;
  const notes: string[] = [];
  const alias = replacedAlias(c);
  if (c.action === 'adopt') notes.push(`exists, not created by nethost: will be marked as managed${alias ? `, replacing its alias ${alias}` : ''}`);
  if (c.reasons.length) notes.push(printable(c.reasons.join('; ')));
  if (c.action === 'delete' && c.before?.attrs.mark === 'nethost:existing') notes.push('existing device: released, never deleted');
  if (notes.length) head += `  (${notes.join('; ')})`;
  if (c.disruptive) head += ' ' + paint(style, 31, `${WARN} ${c.action === 'delete' || c.action === 'replace' ? 'link removed or recreated' : 'link interrupted'}`);
  lines.push(head);
  if (c.action === 'delete' || c.action === 'create') return lines.concat(attrLines(c, style));
  return lines.concat(attrLines(c, style));
}

function attrLines(c: Change, style: Style): string[] {
  const out: string[] = [];
  const width = Math.max(0, ...c.attrs.map((a) => a.name.length));
  for (const a of c.attrs) {
    if (HIDDEN.has(a.name)) continue;
    const name = a.name.padEnd(width);
    if (c.action === 'create') {
      // The title already names it; false flags are the kernel's defaults.
      if (a.after === false || (c.kind === 'address' && (a.name === 'dev' || a.name === 'address'))) continue;
      out.push(`      ${name} = ${show(a.after)}`);
    }
    else if (c.action === 'delete') continue;
    else out.push(`      ${name} ${show(a.before)} → ${show(a.after)}${a.forcesReplace ? paint(style, 35, '   # forces replacement') : ''}`);
  }
  return out;
}

export function renderPlan(plan: Plan, style: Style): string {
  if (!plan.changes.length) return `No changes. ${plan.netns ? `Namespace ${plan.netns}` : 'The host'} matches the file.\n`;
  const lines = [`nethost will make these changes${plan.netns ? ` in namespace ${plan.netns}` : ''}:`, ''];
  for (const c of plan.changes) lines.push(...renderChange(c, style));
  const s = summarize(plan);
  lines.push('', `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.adopt} to adopt; ${plan.operations.length} operations.`);
  if (s.disruptive) lines.push(paint(style, 31, `${WARN} ${s.disruptive} ${s.disruptive > 1 ? 'changes take a link down or recreate it' : 'change takes a link down or recreates it'}.`));
  return lines.join('\n') + '\n';
}

/** One line per change, for drift-check. */
export function renderDrift(plan: Plan): string {
  const lines = plan.changes
    .map((c) => {
      const alias = replacedAlias(c);
      const what = c.action === 'create' ? 'missing' : c.action === 'delete' ? 'not in the file' : c.action === 'adopt' ? `not marked as managed${alias ? ` (alias ${alias})` : ''}` : c.attrs.filter((a) => !HIDDEN.has(a.name)).map((a) => `${a.name} ${show(a.before)} → ${show(a.after)}`).join(', ') || c.reasons.join('; ');
      return printable(`drift: ${describe((c.after ?? c.before)!)}: ${what}`);
    });
  return lines.join('\n') + '\n';
}
