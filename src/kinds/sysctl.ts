// Per-namespace kernel settings (net.*). They have no owner and cannot be "deleted": nethost sets the
// ones the file names and leaves the rest alone.
import { z } from 'zod';
import type { Diagnostic, Resource } from '../model.js';
import type { SectionKind } from './types.js';
import { sysctlId } from '../backends/sysctl/backend.js';
import { linkId } from '../model.js';
import { CONTROL_HINT, sysctlText } from './fields.js';
import { hasControl, quote } from '../util/text.js';
import { RANK } from './ranks.js';

/** Longer than any key under /proc/sys/net (a path of a few words and a 15-byte link name). */
const SYSCTL_KEY_MAX = 255;

/** `net.ipv4.ip_forward` and `net/ipv4/ip_forward` name the same key; the slash form keeps dots in link names. */
export function sysctlPath(key: string): string {
  return key.includes('/') ? key.replace(/^\/?(proc\/sys\/)?/, '') : key.replace(/\./g, '/');
}
export const sysctlValue = (v: unknown) =>
  typeof v === 'boolean' ? (v ? '1' : '0') : String(v).trim().split(/\s+/).join(' ');

export const sysctl: SectionKind = {
  name: 'sysctl',
  // A per-namespace key away from its default (64); nethost never resets one the file drops.
  sample: {
    file: 'version: 1\nsysctls:\n  net.ipv4.ip_default_ttl: 63\n',
    change: 'version: 1\nsysctls:\n  net.ipv4.ip_default_ttl: 62\n',
  },
  describe: (r) => `sysctl ${r.attrs.key}`,
  section: 'sysctls',
  rank: RANK.sysctls,
  schema: z.record(z.string(), z.union([sysctlText, z.number(), z.boolean()])),
  immutable: [],
  fromLive(raw) {
    return Object.entries(raw.sysctls).map(([path, value]) => ({
      id: sysctlId(path),
      kind: 'sysctl',
      attrs: { key: path, value: sysctlValue(value) },
      owned: false,
      deps: [],
    }));
  },
  fromConfig(map: Record<string, string | number | boolean>, at, desired) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const [key, value] of Object.entries(map ?? {})) {
      const path = sysctlPath(key);
      const where = { path: ['sysctls', key], source: at(['sysctls', key], true) };
      if (hasControl(key)) {
        diagnostics.push({
          severity: 'error',
          message: `sysctl key ${quote(key)} holds a control character or NUL`,
          hint: CONTROL_HINT,
          ...where,
        });
        continue;
      }
      if (Buffer.byteLength(key) > SYSCTL_KEY_MAX) {
        diagnostics.push({
          severity: 'error',
          message: `sysctl key ${quote(key)} is longer than ${SYSCTL_KEY_MAX} bytes`,
          hint: 'write a key under /proc/sys/net, e.g. net.ipv4.ip_forward',
          ...where,
        });
        continue;
      }
      if (!/^net\/[A-Za-z0-9_./-]+$/.test(path) || path.includes('..')) {
        diagnostics.push({
          severity: 'error',
          message: `${quote(key)} is not a per-namespace network sysctl`,
          hint: 'only net.* keys belong to a network namespace, e.g. net.ipv4.ip_forward',
          ...where,
        });
        continue;
      }
      const deps: Resource['deps'] = [];
      const m = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(path);
      if (m && desired.has(linkId(m[1]))) deps.push({ id: linkId(m[1]), via: 'key', mode: 'recreate' });
      resources.push({
        id: sysctlId(path),
        kind: 'sysctl',
        attrs: { key: path, value: sysctlValue(value) },
        owned: true,
        deps,
        source: at(['sysctls', key]),
      });
    }
    return { resources, diagnostics };
  },
  create: (r) => [{ backend: 'sysctl', args: [`${r.attrs.key}=${r.attrs.value}`], disruptive: false }],
  update: (r) => [{ backend: 'sysctl', args: [`${r.attrs.key}=${r.attrs.value}`], disruptive: false }],
  delete: () => [],
  manages: () => false,
};
