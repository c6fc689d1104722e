// Per-namespace kernel settings (net.*). They have no owner and cannot be "deleted": nethost sets the
// ones the file names and leaves the rest alone.
import { z } from 'zod';
import type { Diagnostic, Resource } from '../model.js';
import type { SectionKind } from './types.js';
import { linkId } from './links/common.js';

/** `net.ipv4.ip_forward` and `net/ipv4/ip_forward` name the same key; the slash form keeps dots in link names. */
export function sysctlPath(key: string): string {
  return key.includes('/') ? key.replace(/^\/?(proc\/sys\/)?/, '') : key.replace(/\./g, '/');
}
export const sysctlValue = (v: unknown) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v).trim().split(/\s+/).join(' '));

export const sysctl: SectionKind = {
  name: 'sysctl',
  section: 'sysctls',
  rank: 5,
  schema: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  immutable: [],
  fromLive(raw) {
    return Object.entries(raw.sysctls).map(([path, value]) => ({
      id: `sysctl:${path}`, kind: 'sysctl', attrs: { key: path, value: sysctlValue(value) }, owned: false, deps: [],
    }));
  },
  fromConfig(map: Record<string, string | number | boolean>, at, desired) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const [key, value] of Object.entries(map ?? {})) {
      const path = sysctlPath(key);
      if (!/^net\/[A-Za-z0-9_./-]+$/.test(path) || path.includes('..')) {
        diagnostics.push({ severity: 'error', message: `"${key}" is not a per-namespace network sysctl`, hint: 'only net.* keys belong to a network namespace, e.g. net.ipv4.ip_forward', path: ['sysctls', key], source: at(['sysctls', key], true) });
        continue;
      }
      const deps: Resource['deps'] = [];
      const m = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(path);
      if (m && desired.has(linkId(m[1]))) deps.push({ id: linkId(m[1]), via: 'key', mode: 'recreate' });
      resources.push({ id: `sysctl:${path}`, kind: 'sysctl', attrs: { key: path, value: sysctlValue(value) }, owned: true, deps, source: at(['sysctls', key]) });
    }
    return { resources, diagnostics };
  },
  create: (r) => [{ backend: 'sysctl', args: [`${r.attrs.key}=${r.attrs.value}`], disruptive: false }],
  update: (r) => [{ backend: 'sysctl', args: [`${r.attrs.key}=${r.attrs.value}`], disruptive: false }],
  delete: () => [],
  manages: () => false,
};
