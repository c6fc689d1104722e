// LiveState as plain JSON and back (the journal keeps the snapshot of an apply in flight). The
// in-memory form indexes resources in a Map and link names in a Set; the JSON form lists them.
import type { LiveState, Resource } from '../model.js';

export interface LiveJson {
  netns: string | null;
  resources: Resource[];
  linkNames: string[];
  addresses: string[];
}

export const liveToJson = (l: LiveState): LiveJson => ({
  netns: l.netns ?? null,
  resources: [...l.resources.values()],
  linkNames: [...l.linkNames],
  addresses: l.addresses,
});

export function liveFromJson(j: LiveJson): LiveState {
  if (!j || !Array.isArray(j.resources) || !Array.isArray(j.linkNames) || !Array.isArray(j.addresses))
    throw new Error('not a serialised live state');
  return {
    ...(j.netns === null ? {} : { netns: j.netns }),
    resources: new Map(j.resources.map((r) => [r.id, r])),
    linkNames: new Set(j.linkNames),
    addresses: j.addresses,
  };
}
