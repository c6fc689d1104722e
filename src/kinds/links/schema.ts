// The part of the file every `interfaces.NAME` entry shares, whatever its kind.
import { z } from 'zod';
import { ifname, macAddress, text } from '../fields.js';
import { addressEntryProblem, type AddressEntry } from '../address.js';

/** Fields every `interfaces.NAME` entry may carry besides its kind's own. */
export const commonLinkFields = {
  mtu: z.number().int().min(68).max(65535).optional().describe('MTU in bytes'),
  mac: macAddress.optional().describe('MAC address (any case, : or - separated)'),
  state: z.enum(['up', 'down']).default('up').describe('administrative state; default up'),
  addresses: z
    .array(
      z
        .union([
          text,
          z
            .object({
              address: text.describe('the local address (without prefix length when a peer is given)'),
              peer: text.optional().describe('the other end: PEER[/LEN], as ip addr … peer'),
            })
            .strict(),
        ])
        .superRefine((e, ctx) => {
          const problem = addressEntryProblem(e as AddressEntry);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .optional()
    .describe(
      'static addresses: "ADDRESS/LEN", "ADDRESS peer PEER[/LEN]" or {address, peer}; IPv4 and IPv6. Absent: left as they are; [] none',
    ),
};

export const portsField = z
  .array(ifname)
  .optional()
  .describe('links enslaved to this master; membership is written only here');
