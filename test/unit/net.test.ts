// util/net: the canonical text forms that make desired and live values compare equal.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  canonicalDestination,
  canonicalIp,
  canonicalMac,
  canonicalMark,
  contains,
  familyOfDestination,
  formatCidr,
  formatIPv6,
  isMulticast,
  networkOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseIntLoose,
} from '../../src/util/net.js';
import { raw } from './fixtures.js';
import { isIPv6 } from 'node:net';

describe('IPv4', () => {
  it.each([
    ['192.0.2.1', [192, 0, 2, 1]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('parses %s', (s, want) => expect(parseIPv4(s)).toEqual(want));

  it.each([
    '256.0.0.1',
    '192.0.2',
    '192.0.2.1.5',
    '192.0.2.01',
    '1.2.3.-1',
    ' 192.0.2.1',
    '192.0.2.1 ',
    '0x7f.0.0.1',
    '',
  ])('rejects %j', (s) => expect(parseIPv4(s)).toBeUndefined());
});

describe('IPv6 canonical text (RFC 5952)', () => {
  it.each([
    // §4.1 leading zeros dropped; §4.3 lower case
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    // §4.2.1 "::" shortens as much as possible
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    // §4.2.2 "::" never stands for one 16-bit 0 field
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    // §4.2.3 the longest run is compressed; on a tie the first one
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    // edges
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s → %s', (input, want) => {
    expect(canonicalIp(input)).toEqual({ family: 6, ip: want });
  });

  it('embedded IPv4 (mapped, NAT64, compatible) reads as the same address as its hex form', () => {
    const same = (a: string, b: string) => expect(canonicalIp(a)!.ip).toBe(canonicalIp(b)!.ip);
    same('::ffff:192.0.2.1', '::ffff:c000:201');
    same('::FFFF:192.0.2.1', '0:0:0:0:0:ffff:c000:0201');
    same('64:ff9b::198.51.100.1', '64:ff9b::c633:6401');
    same('::203.0.113.9', '::cb00:7109');
    same('1:2:3:4:5:6:203.0.113.9', '1:2:3:4:5:6:cb00:7109');
    expect(parseIPv6('::ffff:192.0.2.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
  });

  it.each([
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':::',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '12345::',
    'g::1',
    '::1.2.3',
    '::256.0.0.1',
    '::192.0.2.01',
    '1:2:3:4:5:6:7:192.0.2.1',
    '192.0.2.1::',
    '::1 ',
    '',
    'fe80::1%eth0',
  ])('rejects %j', (s) => expect(parseIPv6(s)).toBeUndefined());

  it("the kernel's IPv6 text in the fixtures is already canonical", () => {
    const seen: string[] = [];
    for (const s of ['rich', 'applied'] as const)
      for (const l of raw(s).links) for (const a of l.addr_info ?? []) if (a.family === 'inet6') seen.push(a.local);
    expect(seen.length).toBeGreaterThan(10);
    for (const ip of seen) expect(canonicalIp(ip)).toEqual({ family: 6, ip });
  });

  // An independent RFC 5952 formatter: compress the leftmost longest run (≥ 2) of zero groups.
  function reference(groups: number[]): string {
    let best = { at: -1, len: 1 };
    for (let i = 0; i < 8; i++) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > best.len) best = { at: i, len: j - i };
    }
    const hex = groups.map((g) => g.toString(16));
    if (best.at < 0) return hex.join(':');
    return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
  }

  // Groups biased towards zeros, so that compression is exercised.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  const groups = fc.array(group, { minLength: 8, maxLength: 8 });

  /** Any valid text for the groups: random case, leading zeros, which zero run (if any) becomes "::", dotted IPv4 tail. */
  const anyText = groups.chain((g) =>
    fc
      .record({
        g: fc.constant(g),
        upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
        compress: fc.nat(),
        dotted: fc.boolean(),
      })
      .map(({ g, upper, pad, compress, dotted }) => {
        let parts = g.map((x, i) => {
          const h = x.toString(16).padStart(Math.min(4, x.toString(16).length + pad[i]), '0');
          return upper[i] ? h.toUpperCase() : h;
        });
        let tail = '';
        if (dotted) {
          tail = [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].join('.');
          parts = parts.slice(0, 6);
        }
        // zero runs among the (remaining) hex groups
        const runs: [number, number][] = [];
        for (let i = 0; i < parts.length; ) {
          if (g[i] !== 0) {
            i++;
            continue;
          }
          let j = i;
          while (j < parts.length && g[j] === 0) j++;
          runs.push([i, j]);
          i = j;
        }
        const pick = runs.length ? compress % (runs.length + 1) : 0;
        let text: string;
        if (pick === 0) text = parts.join(':') + (dotted ? `:${tail}` : '');
        else {
          const [a, b] = runs[pick - 1];
          const left = parts.slice(0, a).join(':');
          const right = [...parts.slice(b), ...(dotted ? [tail] : [])].join(':');
          text = `${left}::${right}`;
        }
        return { g, text };
      }),
  );

  it('property: any valid text parses to its groups and formats to the one RFC 5952 form', () => {
    fc.assert(
      fc.property(anyText, ({ g, text }) => {
        expect(parseIPv6(text)).toEqual(g);
        expect(formatIPv6(parseIPv6(text)!)).toBe(reference(g));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: formatIPv6 ∘ parseIPv6 round-trips and is idempotent', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const once = formatIPv6(g);
        expect(parseIPv6(once)).toEqual(g);
        expect(formatIPv6(parseIPv6(once)!)).toBe(once);
        expect(once).toMatch(/^[0-9a-f:]+$/);
        expect(once.split('::').length).toBeLessThanOrEqual(2);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: accepts exactly what node accepts as IPv6, and canonicalises as the WHATWG URL parser does', () => {
    // Arbitrary strings over the address alphabet: mostly invalid, which is the point.
    const text = fc.oneof(
      fc.stringMatching(/^[0-9a-fA-F:.]{0,24}$/),
      fc
        .array(fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-fA-F]{1,5}$/), fc.constant('192.0.2.1')), {
          minLength: 1,
          maxLength: 10,
        })
        .map((p) => p.join(':')),
    );
    fc.assert(
      fc.property(text, (s) => {
        const ours = parseIPv6(s);
        expect(ours !== undefined).toBe(isIPv6(s));
        if (ours) {
          // URL prints an embedded IPv4 tail in hex too; its host is the RFC 5952 form in brackets.
          expect(formatIPv6(ours)).toBe(new URL(`http://[${s}]/`).hostname.slice(1, -1));
          expect(canonicalIp(s)?.ip).toBe(formatIPv6(ours));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('property: networkOf zeroes exactly the host bits', () => {
    fc.assert(
      fc.property(groups, fc.integer({ min: 0, max: 128 }), (g, prefix) => {
        const net = parseIPv6(networkOf({ family: 6, ip: formatIPv6(g), prefix }).ip)!;
        for (let bit = 0; bit < 128; bit++) {
          const was = (g[bit >> 4] >> (15 - (bit & 15))) & 1;
          const now = (net[bit >> 4] >> (15 - (bit & 15))) & 1;
          expect(now).toBe(bit < prefix ? was : 0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('property: canonicalIp is idempotent for every IPv6 text', () => {
    fc.assert(
      fc.property(anyText, ({ text }) => {
        const c = canonicalIp(text)!;
        expect(canonicalIp(c.ip)).toEqual(c);
      }),
    );
  });
});

describe('CIDR and networks', () => {
  it.each([
    ['192.0.2.1/24', { family: 4, ip: '192.0.2.1', prefix: 24 }],
    ['198.51.100.7/32', { family: 4, ip: '198.51.100.7', prefix: 32 }],
    ['0.0.0.0/0', { family: 4, ip: '0.0.0.0', prefix: 0 }],
    ['2001:DB8:0::1/64', { family: 6, ip: '2001:db8::1', prefix: 64 }],
    ['::/0', { family: 6, ip: '::', prefix: 0 }],
    ['2001:db8::1/128', { family: 6, ip: '2001:db8::1', prefix: 128 }],
  ])('parses %s', (s, want) => expect(parseCidr(s)).toEqual(want));

  it.each([
    '192.0.2.1',
    '192.0.2.1/33',
    '192.0.2.1/',
    '192.0.2.1/-1',
    '192.0.2.1/24/1',
    '2001:db8::/129',
    '2001:db8::',
    'default',
    '192.0.2.1/2 4',
  ])('rejects %j as an address with prefix', (s) => expect(parseCidr(s)).toBeUndefined());

  it('an address without prefix is a host prefix when the prefix is optional', () => {
    expect(parseCidr('192.0.2.1', false)).toEqual({ family: 4, ip: '192.0.2.1', prefix: 32 });
    expect(parseCidr('2001:db8::1', false)).toEqual({ family: 6, ip: '2001:db8::1', prefix: 128 });
  });

  it.each([
    ['192.0.2.77/26', '192.0.2.64/26'],
    ['192.0.2.77/24', '192.0.2.0/24'],
    ['192.0.2.77/32', '192.0.2.77/32'],
    ['203.0.113.255/25', '203.0.113.128/25'],
    ['198.51.100.9/0', '0.0.0.0/0'],
    ['198.51.100.9/23', '198.51.100.0/23'],
    ['2001:db8:1:2:3:4:5:6/64', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6/52', '2001:db8:1::/52'],
    ['2001:db8:1:f2ff::1/56', '2001:db8:1:f200::/56'],
    ['2001:db8::1/0', '::/0'],
    ['2001:db8::1/128', '2001:db8::1/128'],
  ])('network of %s is %s', (s, want) => expect(formatCidr(networkOf(parseCidr(s)!))).toBe(want));

  it('contains', () => {
    const net = parseCidr('192.0.2.64/26')!;
    expect(contains(net, '192.0.2.64')).toBe(true);
    expect(contains(net, '192.0.2.127')).toBe(true);
    expect(contains(net, '192.0.2.128')).toBe(false);
    expect(contains(net, '192.0.2.63')).toBe(false);
    expect(contains(net, '2001:db8::1')).toBe(false);
    expect(contains(net, 'nonsense')).toBe(false);
    const net6 = parseCidr('2001:db8:1::1/64')!;
    expect(contains(net6, '2001:DB8:1:0:ffff::9')).toBe(true);
    expect(contains(net6, '2001:db8:2::1')).toBe(false);
    expect(contains(parseCidr('0.0.0.0/0')!, '203.0.113.9')).toBe(true);
  });

  it('route destinations: default and host routes as the kernel prints them', () => {
    expect(canonicalDestination('default', 4)).toBe('0.0.0.0/0');
    expect(canonicalDestination('default', 6)).toBe('::/0');
    expect(canonicalDestination('203.0.113.5', 4)).toBe('203.0.113.5/32');
    expect(canonicalDestination('192.0.2.77/24', 4)).toBe('192.0.2.0/24');
    expect(canonicalDestination('2001:DB8:BEEF::1/48', 6)).toBe('2001:db8:beef::/48');
    expect(canonicalDestination('nowhere', 4)).toBeUndefined();
    expect(familyOfDestination('default')).toBeUndefined();
    expect(familyOfDestination('192.0.2.0/24')).toBe(4);
    expect(familyOfDestination('2001:db8::/32')).toBe(6);
    // every destination in the captured route dumps has a canonical form
    for (const s of ['rich', 'applied'] as const) {
      const r = raw(s);
      for (const [list, fam] of [
        [r.routes4, 4],
        [r.routes6, 6],
      ] as const)
        for (const x of list) expect(canonicalDestination(x.dst, fam), x.dst).toBeDefined();
    }
  });
});

describe('multicast', () => {
  it('224.0.0.0/4 and ff00::/8, by value not by spelling', () => {
    for (const ip of ['224.0.0.22', '239.1.1.1', 'ff02::2', 'ff02::1:ffef:8d0', 'ff05::1:3'])
      expect(isMulticast(canonicalIp(ip)!.ip), ip).toBe(true);
    for (const ip of ['223.255.255.255', '240.0.0.1', '192.0.2.1', 'ff::1', 'fe80::1', '2001:db8::ff', '::'])
      expect(isMulticast(canonicalIp(ip)!.ip), ip).toBe(false);
  });
});

describe('MAC addresses', () => {
  it.each([
    ['02:00:00:00:00:0A', '02:00:00:00:00:0a'],
    ['02-00-00-00-00-0a', '02:00:00:00:00:0a'],
    ['2:0:0:0:0:a', '02:00:00:00:00:0a'],
    ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
  ])('%s → %s', (s, want) => expect(canonicalMac(s)).toBe(want));

  it.each([
    '02:00:00:00:00',
    '02:00:00:00:00:00:00',
    '02:00-00:00:00:00',
    '0200.0000.000a',
    '02:00:00:00:00:0g',
    '002:00:00:00:00:00',
    '',
  ])('rejects %j', (s) => expect(canonicalMac(s)).toBeUndefined());

  it("the kernel's MACs in the fixtures are already canonical", () => {
    const macs = raw('rich')
      .links.map((l) => l.address)
      .filter((a): a is string => !!a);
    expect(macs.length).toBeGreaterThan(10);
    for (const m of macs) expect(canonicalMac(m)).toBe(m);
  });
});

describe('firewall marks', () => {
  it('every way of writing a value/mask gives one form', () => {
    const forms = ['0x1/0xff', '1/255', '0x01/0x0ff', '0x1/0xFF'];
    for (const f of forms) expect(canonicalMark(f), f).toBe('0x1/0xff');
  });

  it('a bare value means the full mask', () => {
    expect(canonicalMark(16)).toBe('0x10/0xffffffff');
    expect(canonicalMark('16')).toBe('0x10/0xffffffff');
    expect(canonicalMark('0x10')).toBe('0x10/0xffffffff');
    expect(canonicalMark('0x10/0xffffffff')).toBe('0x10/0xffffffff');
  });

  it('zero and the extremes', () => {
    expect(canonicalMark('0/0xff')).toBe('0x0/0xff');
    expect(canonicalMark(0)).toBe('0x0/0xffffffff');
    expect(canonicalMark('0xffffffff/0xffffffff')).toBe('0xffffffff/0xffffffff');
  });

  it.each(['0x1/0xff/0x1', '-1', '0x100000000', '1/0x100000000', '1.5', 'mark', '', '0x', '1/'])('rejects %j', (s) => {
    expect(canonicalMark(s)).toBeUndefined();
  });

  it('rejects non-integers given as numbers', () => {
    expect(canonicalMark(1.5)).toBeUndefined();
    expect(parseIntLoose(1.5)).toBeUndefined();
    expect(parseIntLoose('0x1f')).toBe(31);
  });

  it('the marks iproute2 prints for rules (fwmark, fwmask apart) match what a file writes', () => {
    const rules = [...raw('rich').rules4, ...raw('rich').rules6].filter((r) => r.fwmark);
    expect(rules.length).toBeGreaterThanOrEqual(3);
    const kernel = rules.map((r) => canonicalMark(`${r.fwmark}/${r.fwmask ?? '0xffffffff'}`));
    // written in rich by: fwmark 0x1/0xff, fwmark 0x10, fwmark 0x2/0x2
    expect(kernel.sort()).toEqual([canonicalMark('1/255'), canonicalMark(16), canonicalMark('2/2')].sort());
  });
});
