import type { Redis } from 'ioredis';
import { resolveSession } from './accounts/sessions.js';
import type { Database } from './db/client.js';
import { UnauthenticatedError } from './errors.js';
import { characterKey, ReadCache } from './cache/read-cache.js';
import { characterIdsOf } from './characters/characters.js';
import { createLoaders, type Loaders } from './loaders.js';
import { Metrics } from './metrics.js';
import type { Logger } from './logger.js';
import { ReferenceData } from './reference/cache.js';

/** Long-lived parts shared by every request. */
export interface Services {
  db: Database;
  redis: Redis;
  log: Logger;
  reference: ReferenceData;
  /** Seconds a character draft lives after its last read or update. */
  draftTtlSeconds: number;
  cache: ReadCache;
  metrics: Metrics;
}

/** The shared parts built around one database and one Redis client. */
export function createServices(db: Database, redis: Redis, log: Logger, options: { draftTtlSeconds?: number } = {}): Services {
  const metrics = new Metrics();
  return {
    db,
    redis,
    log,
    metrics,
    reference: new ReferenceData(db, redis, log, metrics),
    cache: new ReadCache(redis, log, metrics),
    draftTtlSeconds: options.draftTtlSeconds ?? 24 * 60 * 60,
  };
}

/**
 * After a commit that changed any of a player's characters (or created or deleted one):
 * drops the cached reads of all of them, since a character read can nest its player and
 * through it the player's other characters.
 */
export async function playerCharactersChanged(ctx: Pick<Services, 'cache' | 'db'>, playerId: string): Promise<void> {
  await charactersChanged(ctx, ...(await characterIdsOf(ctx.db, playerId)));
}

export function charactersChanged(ctx: Pick<Services, 'cache'>, ...characterIds: string[]): Promise<void> {
  return ctx.cache.invalidate(characterIds.map(characterKey));
}

/** Awaits the viewer's committed write, then drops the cached reads it made stale. */
export async function characterWrite<T>(ctx: Context, write: Promise<T>): Promise<T> {
  const result = await write;
  await playerCharactersChanged(ctx, await ctx.requireViewerId());
  return result;
}

export interface Context extends Services {
  /** The bearer token sent with the request, if any. */
  sessionToken: string | null;
  clientAddress: string;
  loaders: Loaders;
  /** The signed-in player's id, or null. Looked up once per request; renews the session. */
  viewerId(): Promise<string | null>;
  /** The signed-in player's id, or UNAUTHENTICATED. */
  requireViewerId(): Promise<string>;
  /** After register or login: the rest of this request sees the new session's player as the viewer. */
  signedIn(playerId: string): void;
}

export function bearerToken(authorization: string | null): string | null {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

export function createContext(services: Services, request: Request, clientAddress: string): Context {
  const sessionToken = bearerToken(request.headers.get('authorization'));
  let viewer: Promise<string | null> | undefined;
  const viewerId = () => (viewer ??= sessionToken ? resolveSession(services.redis, sessionToken) : Promise.resolve(null));
  return {
    ...services,
    sessionToken,
    clientAddress,
    loaders: createLoaders(services),
    viewerId,
    requireViewerId: async () => {
      const id = await viewerId();
      if (!id) throw new UnauthenticatedError();
      return id;
    },
    signedIn: (playerId) => {
      viewer = Promise.resolve(playerId);
    },
  };
}
