// The words for why a change happens: the engine carries codes (model.ts, ChangeReason), people
// read these.
import type { ChangeReason } from '../model.js';

export function reasonWords(r: ChangeReason): string {
  switch (r.code) {
    case 'kind-changed':
      return `kind changes from ${r.detail.from} to ${r.detail.to}`;
    case 'immutable-attribute':
      return `${r.detail.attribute} cannot be changed in place`;
    case 'dependency-recreated':
      return `${r.detail.dependency} is recreated`;
    case 'reattached':
      return `re-attached: ${r.detail.dependency} is recreated`;
  }
}

/** All of a change's reasons, in words, as one line. */
export const reasonsLine = (reasons: readonly ChangeReason[]) => reasons.map(reasonWords).join('; ');
