// nft's JSON (`nft -j list table …`) → the canonical text of each chain and rule: the words
// `nft list table` prints for it, minus counter values and handles (state, never drift). nethost
// renders the file's rules in exactly this form (kinds/firewall/rules.ts), so the two sides compare
// as strings; test/unit/firewall.test.ts holds the printer to nft's own text listing of captured
// tables, and the integration tests hold the renderer to what the kernel lists back.
//
// An expression this printer does not know (someone else's hand-added rule) prints as its JSON:
// never equal to a rendered rule, so it is drift, and still shown.

type J = any;

/** Meta keys nft prints without `meta` (and whose values it quotes: interface names). */
const BARE_META = new Set(['iifname', 'oifname', 'iif', 'oif']);

const json = (x: unknown) => JSON.stringify(x);

function quoted(left: J): boolean {
  return !!left?.meta && BARE_META.has(left.meta.key);
}

export function printValue(v: J, quote = false): string {
  if (typeof v === 'string') return quote ? `"${v}"` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => printValue(x, quote)).join(',');
  if (v && typeof v === 'object') {
    if ('prefix' in v) return `${v.prefix.addr}/${v.prefix.len}`;
    if ('range' in v) return `${printValue(v.range[0], quote)}-${printValue(v.range[1], quote)}`;
    if ('set' in v) {
      const elems = Array.isArray(v.set) ? v.set : [v.set];
      return `{ ${elems.map((e: J) => printValue(e, quote)).join(', ')} }`;
    }
    const expr = printExpr(v);
    if (expr !== undefined) return expr;
  }
  return json(v);
}

/** A value-producing expression (the left side of a match, a mangle's key or value). */
function printExpr(e: J): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  if (e.payload) return e.payload.protocol ? `${e.payload.protocol} ${e.payload.field}` : undefined;
  if (e.meta) return BARE_META.has(e.meta.key) ? e.meta.key : `meta ${e.meta.key}`;
  if (e.ct) return `ct ${e.ct.dir ? `${e.ct.dir} ` : ''}${e.ct.key}`;
  if (e['tcp option'])
    return `tcp option ${e['tcp option'].name}${e['tcp option'].field ? ` ${e['tcp option'].field}` : ''}`;
  if (e.fib) return `fib ${(e.fib.flags ?? []).join(' . ')} ${e.fib.result}`;
  if (e.rt) return `rt ${e.rt.key}`;
  return undefined;
}

function printMatch(m: J): string | undefined {
  const { op, left, right } = m;
  // `tcp flags & (syn | rst) == syn` lists as `tcp flags syn / syn,rst`.
  if (left?.['&'] && Array.isArray(left['&']) && op === '==') {
    const [l, mask] = left['&'];
    const ls = printExpr(l);
    if (ls === undefined || !Array.isArray(mask)) return undefined;
    return `${ls} ${printValue(right)} / ${mask.join(',')}`;
  }
  const ls = printExpr(left);
  if (ls === undefined) return undefined;
  const rs = printValue(right, quoted(left));
  return op === '==' || op === 'in' ? `${ls} ${rs}` : `${ls} ${op} ${rs}`;
}

function natTarget(s: J): string {
  const addr =
    s.addr === undefined ? '' : s.family === 'ip6' && s.port !== undefined ? `[${s.addr}]` : printValue(s.addr);
  const port = s.port === undefined ? '' : `:${printValue(s.port)}`;
  return `${addr}${port}`;
}

function printStatement(s: J): string | undefined {
  const [key] = Object.keys(s);
  const v = s[key];
  switch (key) {
    case 'match':
      return printMatch(v);
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return v === null ? key : undefined;
    case 'jump':
    case 'goto':
      return `${key} ${v.target}`;
    case 'counter':
      return 'counter';
    case 'masquerade':
      if (v === null) return 'masquerade';
      if (v.flags) return undefined;
      return v.port === undefined ? 'masquerade' : `masquerade to :${printValue(v.port)}`;
    case 'snat':
    case 'dnat':
      if (v.flags) return undefined;
      return `${key}${v.family ? ` ${v.family}` : ''} to ${natTarget(v)}`;
    case 'mangle': {
      const k = printExpr(v.key);
      return k === undefined ? undefined : `${k} set ${printValue(v.value)}`;
    }
    case 'reject':
      return v === null ? 'reject' : undefined;
    default:
      return undefined;
  }
}

/** Counter values are state: blanked so that traffic is never drift (also in the JSON kept for restore). */
export function withoutState(expr: J[]): J[] {
  return expr.map((s) => (s && typeof s === 'object' && 'counter' in s ? { counter: { packets: 0, bytes: 0 } } : s));
}

/** One rule's canonical text. */
export function printRule(expr: J[]): string {
  const parts = expr.map(printStatement);
  if (parts.every((p) => p !== undefined)) return parts.join(' ');
  return `json ${json(withoutState(expr))}`;
}

/** A chain's header: `type nat hook postrouting priority 100; policy accept;`, or '' for a regular chain. */
export function printChainHeader(c: J): string {
  if (!c.hook) return '';
  return `type ${c.type} hook ${c.hook}${c.dev ? ` device ${c.dev}` : ''} priority ${c.prio}; policy ${c.policy ?? 'accept'};`;
}

/** The printer's own code: a memo of "this listing prints as that ruleset" (src/backends/nft) holds
 *  only for the printer that made it. */
export const printerSource = () =>
  [printValue, printExpr, printMatch, natTarget, printStatement, withoutState, printRule, printChainHeader, quoted]
    .map(String)
    .join('\n');
