import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { requireRedis } from '../redis/require.js';

export const SESSION_TTL_SECONDS = 60 * 60;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const sessionKey = (token: string) => `session:${token}`;
/**
 * Sorted set of a player's tokens, scored by when each expires plus INDEX_SLACK_SECONDS; lives
 * that long after the newest session. Ending every session of a player reads it, so an entry
 * must never expire before its session does.
 */
export const playerSessionsKey = (playerId: string) => `player_sessions:${playerId}`;

/**
 * How far ahead of its session an index entry is scored. A request renews the session for an
 * hour, but its index entry only when the entry this process last wrote is that old: once every
 * five minutes of use, not on every request (one Redis round trip).
 */
export const INDEX_SLACK_SECONDS = 5 * 60;
const INDEX_TTL_SECONDS = SESSION_TTL_SECONDS + INDEX_SLACK_SECONDS;

/**
 * When this process last wrote each token's index entry, on the monotonic clock (a wall clock
 * stepped back would otherwise stretch the margin); the oldest make way past MAX_REMEMBERED.
 */
const indexedAt = new Map<string, number>();
const MAX_REMEMBERED = 50_000;
/** A second short of the margin, for the time between deciding and Redis applying the write. */
const REWRITE_AFTER_MS = (INDEX_SLACK_SECONDS - 1) * 1000;

function rememberIndexed(token: string): void {
  indexedAt.delete(token);
  if (indexedAt.size >= MAX_REMEMBERED) indexedAt.delete(indexedAt.keys().next().value!);
  indexedAt.set(token, performance.now());
}

/** Whether the entry this process last wrote for `token` outlives a session renewed now. */
function indexCovers(token: string): boolean {
  const at = indexedAt.get(token);
  return at !== undefined && performance.now() - at < REWRITE_AFTER_MS;
}

// Adds a session and its index entry, dropping index entries whose sessions have expired.
const START = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
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
      now + INDEX_TTL_SECONDS * 1000,
      token,
      INDEX_TTL_SECONDS,
    );
    rememberIndexed(token);
    return token;
  });
}

/**
 * The player behind a token, renewing the session for another hour (and its index entry, when
 * the one this process last wrote would end before it); null when there is none.
 */
export function resolveSession(redis: Redis, token: string): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return Promise.resolve(null);
  return requireRedis(async () => {
    const playerId = await redis.getex(sessionKey(token), 'EX', SESSION_TTL_SECONDS);
    if (playerId && !indexCovers(token)) {
      const index = playerSessionsKey(playerId);
      await redis
        .multi()
        .zadd(index, Date.now() + INDEX_TTL_SECONDS * 1000, token)
        .expire(index, INDEX_TTL_SECONDS)
        .exec();
      rememberIndexed(token);
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
