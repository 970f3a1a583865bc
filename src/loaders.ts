import DataLoader from 'dataloader';
import type { KindName, KindRecords } from './reference/kinds.js';
import type { ReferenceData } from './reference/cache.js';

/** Request-scoped DataLoaders, created lazily: one batch per kind per tick. */
export interface Loaders {
  reference<K extends KindName>(kind: K): DataLoader<string, KindRecords[K] | null>;
}

export function createLoaders(reference: ReferenceData): Loaders {
  const byKind = new Map<KindName, DataLoader<string, unknown>>();
  return {
    reference<K extends KindName>(kind: K) {
      let loader = byKind.get(kind);
      if (!loader) {
        loader = new DataLoader<string, unknown>((ids) => reference.byIds(kind, ids));
        byKind.set(kind, loader);
      }
      return loader as DataLoader<string, KindRecords[K] | null>;
    },
  };
}
