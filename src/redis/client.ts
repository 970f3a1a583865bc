import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { redactUrl, type Logger } from '../logger.js';

export type { Redis };

export interface RedisHandle {
  redis: Redis;
  kind: 'redis' | 'in-process';
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * ioredis against REDIS_URL, or an in-process stand-in (ioredis-mock, same API,
 * nothing persisted) for the zero-setup embedded mode.
 */
export async function openRedis(config: Config, log: Logger): Promise<RedisHandle> {
  if (!config.REDIS_URL) {
    const { default: RedisMock } = await import('ioredis-mock');
    log.warn('REDIS_URL not set: using an in-process Redis stand-in (sessions, drafts and games are lost on restart)');
    const redis = new RedisMock() as unknown as Redis;
    return { redis, kind: 'in-process', ping: async () => void (await redis.ping()), close: async () => void redis.disconnect() };
  }
  return connectRedis(config.REDIS_URL, log);
}

export async function connectRedis(url: string, log: Logger): Promise<RedisHandle> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail fast while disconnected instead of queueing: callers fall back to
    // PostgreSQL or answer SERVICE_UNAVAILABLE rather than hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // At most 0.5 s between attempts, so the first request after Redis returns finds it (issue #13).
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 500),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.error({ err: { message: error.message }, url: redactUrl(url) }, 'Redis unreachable; retrying with backoff');
  });
  redis.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  log.info({ redis: redactUrl(url) }, 'using Redis');
  // Start even if Redis is down: the cache falls back to PostgreSQL, /ready reports it,
  // and ioredis keeps reconnecting in the background.
  await redis.connect().catch(() => {});
  return {
    redis,
    kind: 'redis',
    ping: async () => void (await redis.ping()),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
