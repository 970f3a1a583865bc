import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { requireRedis } from '../redis/require.js';

export const SESSION_TTL_SECONDS = 60 * 60;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const sessionKey = (token: string) => `session:${token}`;

/** Starts a session and returns its opaque token (256 random bits). */
export function startSession(redis: Redis, playerId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  return requireRedis(async () => {
    await redis.set(sessionKey(token), playerId, 'EX', SESSION_TTL_SECONDS);
    return token;
  });
}

/** The player behind a token, renewing the session for another hour; null when there is none. */
export function resolveSession(redis: Redis, token: string): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return Promise.resolve(null);
  return requireRedis(() => redis.getex(sessionKey(token), 'EX', SESSION_TTL_SECONDS));
}

export function endSession(redis: Redis, token: string): Promise<boolean> {
  if (!TOKEN_SHAPE.test(token)) return Promise.resolve(false);
  return requireRedis(async () => (await redis.del(sessionKey(token))) > 0);
}
