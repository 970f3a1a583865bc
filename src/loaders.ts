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

type LoaderServices = {
  cache: ReadCache;
  reference: ReferenceData;
  liveStates: { store: PendingStore };
};

/** A request's loaders; `db` is the request's handle, which counts its statements. */
export function createLoaders(services: LoaderServices, db: Executor): Loaders {
  return new RequestLoaders(services, db);
}

// A class, so a request's loaders cost one small object: an object literal with getters is
// built property by property (about 2 µs a request on Node 20).
class RequestLoaders implements Loaders {
  private readonly byKind = new Map<KindName, DataLoader<string, unknown>>();
  private playerLoader: DataLoader<string, PublicProfile | null> | undefined;
  private liveStateLoader: DataLoader<string, PendingState | null> | undefined;

  constructor(
    private readonly services: LoaderServices,
    private readonly db: Executor,
  ) {}

  get liveState() {
    // With Redis down, reads show PostgreSQL's rows (updates then go there directly).
    return (this.liveStateLoader ??= new DataLoader((ids) => this.services.liveStates.store.latest(ids).catch(() => ids.map(() => null))));
  }

  get player() {
    return (this.playerLoader ??= new DataLoader((ids) => loadProfiles(this.db, this.services.cache, ids)));
  }

  reference<K extends KindName>(kind: K) {
    let loader = this.byKind.get(kind);
    if (!loader) {
      loader = new DataLoader<string, unknown>((ids) => this.services.reference.byIds(kind, ids));
      this.byKind.set(kind, loader);
    }
    return loader as DataLoader<string, KindRecords[K] | null>;
  }
}
