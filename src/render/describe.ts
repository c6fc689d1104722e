import type { Resource } from '../model.js';
import { kindOf } from '../registry/kinds.js';

/** How a person names a resource: its kind's words ("route default table 100"), else "bridge br0". */
export function describe(r: Resource): string {
  return kindOf(r.kind).describe?.(r) ?? `${r.kind} ${r.id.slice(r.id.indexOf(':') + 1)}`;
}
