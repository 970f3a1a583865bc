import DataLoader from 'dataloader';
import { loadProfiles, type PublicProfile } from './accounts/player-profiles.js';
import type { ReadCache } from './cache/read-cache.js';
import type { Executor } from './db/client.js';
import type { PendingState, PendingStore } from './live-state/pending.js';
import type { KindName, KindRecords } from './reference/kinds.js';
import type { ReferenceData } from './reference/cache.js';

/** Request-scoped DataLoaders, created lazily: one batch per kind per tick. */
export interface Loaders {
  reference<K extends KindName>(kind: K): DataLoader<string, KindRecords[K] | null>;
  /** Public profiles of players referenced from Redis records (tavern games, drinks). */
  player: DataLoader<string, PublicProfile | null>;
  /** Characters' latest accepted live states (one Redis round trip per batch); none when the store fails. */
  liveState: DataLoader<string, PendingState | null>;
}

export function createLoaders(services: {
  db: Executor;
  cache: ReadCache;
  reference: ReferenceData;
  liveStates: { store: PendingStore };
}): Loaders {
  const { reference } = services;
  const byKind = new Map<KindName, DataLoader<string, unknown>>();
  let player: DataLoader<string, PublicProfile | null> | undefined;
  let liveState: DataLoader<string, PendingState | null> | undefined;
  return {
    get liveState() {
      // With Redis down, reads show PostgreSQL's rows (updates then go there directly).
      return (liveState ??= new DataLoader((ids) => services.liveStates.store.latest(ids).catch(() => ids.map(() => null))));
    },
    get player() {
      return (player ??= new DataLoader((ids) => loadProfiles(services.db, services.cache, ids)));
    },
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
