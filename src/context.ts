import type { Redis } from 'ioredis';
import { resolveSession } from './accounts/sessions.js';
import { type Database, recordingInto } from './db/client.js';
import type { StatementCount } from './db/statement-log.js';
import { UnauthenticatedError } from './errors.js';
import { ReadCache } from './cache/read-cache.js';
import { LiveStates, type LiveStateOptions } from './live-state/flusher.js';
import { createLoaders, type Loaders } from './loaders.js';
import { Metrics } from './metrics.js';
import type { Logger } from './logger.js';
import { ReferenceData } from './reference/cache.js';
import { type EventBus, inProcessEventBus } from './redis/pubsub.js';

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
  /** Live events for subscriptions, shared by every instance in services mode. */
  events: EventBus;
  /** Pending live states (write-behind) and their flush loop. */
  liveStates: LiveStates;
}

/** The shared parts built around one database and one Redis client. */
export function createServices(
  db: Database,
  redis: Redis,
  log: Logger,
  options: { draftTtlSeconds?: number; events?: EventBus; liveState?: LiveStateOptions } = {},
): Services {
  const metrics = new Metrics();
  const cache = new ReadCache(redis, log, metrics);
  return {
    db,
    redis,
    log,
    metrics,
    reference: new ReferenceData(db, cache, log, metrics),
    cache,
    draftTtlSeconds: options.draftTtlSeconds ?? 24 * 60 * 60,
    events: options.events ?? inProcessEventBus(),
    liveStates: new LiveStates(db, redis, log, metrics, options.liveState),
  };
}

export interface Context extends Services {
  /** How many SQL statements this request has run (on `db`, which counts them), for the metrics. */
  statements: StatementCount;
  /** The bearer token sent with the request, if any. */
  sessionToken: string | null;
  clientAddress: string;
  loaders: Loaders;
  /** The signed-in player's id, or null. Looked up once per request; renews the session. */
  viewerId(): Promise<string | null>;
  /** The signed-in player's id, or UNAUTHENTICATED. */
  requireViewerId(): Promise<string>;
  /**
   * The signed-in player's id, for fields whose `player` auth scope has already passed
   * (the scope resolves the session first). UNAUTHENTICATED otherwise.
   */
  playerId(): string;
  /** After register or login: the rest of this request sees the new session's player as the viewer. */
  signedIn(playerId: string): void;
}

export function bearerToken(authorization: string | null): string | null {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

/** A request's context, from its Authorization header (or null) and the client's address. */
export function createContext(services: Services, authorization: string | null, clientAddress: string): Context {
  const sessionToken = bearerToken(authorization);
  let viewer: Promise<string | null> | undefined;
  let resolvedViewer: string | null = null;
  const viewerId = () =>
    (viewer ??= (sessionToken ? resolveSession(services.redis, sessionToken) : Promise.resolve(null)).then((id) => {
      resolvedViewer = id;
      return id;
    }));
  // Each service named, not spread: V8 builds `{ ...services, more }` on its slow path, about
  // 14 µs a request on Node 20, where this literal takes well under one. Context's type makes a
  // service left out here a compile error.
  const { redis, log, reference, draftTtlSeconds, cache, metrics, events, liveStates } = services;
  const statements: StatementCount = { count: 0 };
  const db = recordingInto(services.db, statements, log);
  return {
    db,
    statements,
    redis,
    log,
    reference,
    draftTtlSeconds,
    cache,
    metrics,
    events,
    liveStates,
    sessionToken,
    clientAddress,
    loaders: createLoaders(services, db),
    viewerId,
    requireViewerId: async () => {
      const id = await viewerId();
      if (!id) throw new UnauthenticatedError();
      return id;
    },
    playerId: () => {
      if (!resolvedViewer) throw new UnauthenticatedError();
      return resolvedViewer;
    },
    signedIn: (playerId) => {
      viewer = Promise.resolve(playerId);
      resolvedViewer = playerId;
    },
  };
}
