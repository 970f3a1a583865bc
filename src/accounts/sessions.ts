import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { requireRedis } from '../redis/require.js';

export const SESSION_TTL_SECONDS = 60 * 60;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const sessionKey = (token: string) => `session:${token}`;
/** Sorted set of a player's tokens, scored by when each expires; lives as long as the newest session. */
export const playerSessionsKey = (playerId: string) => `player_sessions:${playerId}`;

// Adds a session and its index entry, dropping index entries whose sessions have expired.
const START = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1`;

// Ends the given sessions and removes them from the index.
const END = `
local ended = 0
for i = 2, #KEYS do ended = ended + redis.call('DEL', KEYS[i]) end
for i = 1, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
return ended`;

/** Starts a session and returns its opaque token (256 random bits). */
export function startSession(redis: Redis, playerId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  return requireRedis(async () => {
    await redis.eval(
      START,
      2,
      sessionKey(token),
      playerSessionsKey(playerId),
      playerId,
      SESSION_TTL_SECONDS,
      now,
      now + SESSION_TTL_SECONDS * 1000,
      token,
    );
    return token;
  });
}

/** The player behind a token, renewing the session (and its index entry) for another hour; null when there is none. */
export function resolveSession(redis: Redis, token: string): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return Promise.resolve(null);
  return requireRedis(async () => {
    const playerId = await redis.getex(sessionKey(token), 'EX', SESSION_TTL_SECONDS);
    if (playerId) {
      const index = playerSessionsKey(playerId);
      await redis
        .multi()
        .zadd(index, Date.now() + SESSION_TTL_SECONDS * 1000, token)
        .expire(index, SESSION_TTL_SECONDS)
        .exec();
    }
    return playerId;
  });
}

export function endSession(redis: Redis, token: string): Promise<boolean> {
  if (!TOKEN_SHAPE.test(token)) return Promise.resolve(false);
  return requireRedis(async () => {
    const playerId = await redis.get(sessionKey(token));
    if (!playerId) return false;
    return ((await redis.eval(END, 2, playerSessionsKey(playerId), sessionKey(token), token)) as number) > 0;
  });
}

/** Ends every session of a player except `keep` (the current one, or none). */
export function endSessionsOf(redis: Redis, playerId: string, keep: string | null = null): Promise<number> {
  return requireRedis(async () => {
    const tokens = (await redis.zrange(playerSessionsKey(playerId), 0, -1)).filter((token) => token !== keep);
    if (tokens.length === 0) return 0;
    return (await redis.eval(END, 1 + tokens.length, playerSessionsKey(playerId), ...tokens.map(sessionKey), ...tokens)) as number;
  });
}
