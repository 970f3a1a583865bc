import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { loadProfiles, type PublicProfile } from '../accounts/player-profiles.js';
import type { ReadCache } from '../cache/read-cache.js';
import type { Executor } from '../db/client.js';
import { ForbiddenError, RateLimitedError, ServiceUnavailableError, ValidationError } from '../errors.js';
import type { BusLost, EventBus } from '../redis/pubsub.js';
import { requireRedis } from '../redis/require.js';
import { isUuid } from '../validation.js';
import { areFriends } from './friends.js';
import { chatMessages } from './tables.js';

/**
 * Chat (DESIGN §12): public rooms `room:{name}` and direct messages `dm:{a}:{b}` between
 * two friends (ids sorted). Messages live in PostgreSQL; new ones are published on the
 * event bus after they are stored.
 */
export interface ChatDeps {
  db: Executor;
  redis: Redis;
  cache: ReadCache;
  events: EventBus;
}

export interface ChatMessage {
  id: string;
  channel: string;
  senderId: string;
  body: string;
  createdAt: string;
  /** Present on live events, so a thousand subscribers resolve `from` without a query. */
  sender?: PublicProfile;
}

export type Channel = { kind: 'room'; name: string } | { kind: 'dm'; players: [string, string] };

export const MAX_BODY = 500;
export const MAX_PAGE = 100;
export const RATE_LIMIT = { messages: 5, windowMs: 5_000 };
export const chatRateKey = (playerId: string) => `chat:rate:${playerId}`;
export const chatTopic = (channel: string) => `chat:${channel}`;

const ROOM = /^room:([a-z0-9_-]{1,40})$/;
const DM = /^dm:([0-9a-f-]{36}):([0-9a-f-]{36})$/;

/** A channel name, or VALIDATION naming `channel`. */
export function parseChannel(channel: string): Channel {
  const room = ROOM.exec(channel);
  if (room) return { kind: 'room', name: room[1]! };
  const dm = DM.exec(channel);
  if (!dm || !isUuid(dm[1]!) || !isUuid(dm[2]!)) {
    throw new ValidationError('channel: must be room:{name} (name: 1 to 40 of a-z 0-9 _ -) or dm:{playerId}:{playerId}', 'channel');
  }
  if (dm[1]! >= dm[2]!) throw new ValidationError('channel: a DM channel names two different players, lower id first', 'channel');
  return { kind: 'dm', players: [dm[1]!, dm[2]!] };
}

/** The DM channel of two players. */
export const dmChannel = (a: string, b: string) => `dm:${[a, b].sort().join(':')}`;

/** Rooms are open to every player; a DM only to its two players, while they are friends. */
export async function assertMayUseChannel(db: Executor, playerId: string, channel: string): Promise<Channel> {
  const parsed = parseChannel(channel);
  if (parsed.kind === 'room') return parsed;
  if (!parsed.players.includes(playerId)) throw new ForbiddenError('That direct-message channel belongs to two other players.');
  const other = parsed.players.find((id) => id !== playerId)!;
  if (!(await areFriends(db, playerId, other))) throw new ForbiddenError('Direct messages need the two players to be friends.');
  return parsed;
}

// A sliding window of the sender's accepted messages (score: ms). Returns 0 and records the
// message, or the ms until the oldest one leaves the window.
const RATE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + ARGV[2] - ARGV[1]
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0`;

async function admitMessage(redis: Redis, playerId: string): Promise<void> {
  const waitMs = Number(
    await requireRedis(() =>
      redis.eval(RATE, 1, chatRateKey(playerId), Date.now(), RATE_LIMIT.windowMs, RATE_LIMIT.messages, randomUUID()),
    ),
  );
  if (waitMs > 0) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new RateLimitedError(seconds, `At most ${RATE_LIMIT.messages} messages in 5 seconds. Try again in ${seconds} seconds.`);
  }
}

const toMessage = (row: typeof chatMessages.$inferSelect): ChatMessage => ({
  id: row.id,
  channel: row.channel,
  senderId: row.senderId,
  body: row.body,
  createdAt: row.createdAt.toISOString(),
});

/**
 * Stores a message and publishes it to the channel's subscribers. Refused while Redis is
 * down (SERVICE_UNAVAILABLE): the rate limit lives there.
 */
export async function sendChatMessage(deps: ChatDeps, playerId: string, input: { channel: string; body: string }): Promise<ChatMessage> {
  const body = input.body.trim();
  if (body.length < 1 || body.length > MAX_BODY) throw new ValidationError(`body: must be 1 to ${MAX_BODY} characters`, 'body');
  await assertMayUseChannel(deps.db, playerId, input.channel);
  await admitMessage(deps.redis, playerId);
  const [row] = await deps.db.insert(chatMessages).values({ channel: input.channel, senderId: playerId, body }).returning();
  const message = toMessage(row!);
  // Committed: if the sender's profile cannot be read now, subscribers resolve it themselves.
  const [sender] = await loadProfiles(deps.db, deps.cache, [playerId]).catch(() => [null]);
  const sent = { ...message, sender: sender ?? undefined };
  deps.events.publish(chatTopic(message.channel), sent);
  return sent;
}

export interface HistoryPage {
  channel: string;
  before?: Date | null;
  /** With `before`: the id of the message at `before`, so equal times page without repeats or gaps. */
  beforeId?: string | null;
  first?: number | null;
}

/** The newest messages older than (before, beforeId), newest first, ordered by (created_at, id). */
export async function chatHistory(db: Executor, playerId: string, page: HistoryPage): Promise<ChatMessage[]> {
  const first = page.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw new ValidationError(`first: must be 1 to ${MAX_PAGE}`, 'first');
  if (page.beforeId != null && !isUuid(page.beforeId)) throw new ValidationError('beforeId: must be a message id', 'beforeId');
  if (page.beforeId != null && !page.before) throw new ValidationError('before: required with beforeId', 'before');
  await assertMayUseChannel(db, playerId, page.channel);
  const older = !page.before
    ? undefined
    : page.beforeId
      ? sql`(${chatMessages.createdAt}, ${chatMessages.id}) < (${page.before.toISOString()}::timestamptz, ${page.beforeId}::uuid)`
      : lt(chatMessages.createdAt, page.before);
  const rows = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.channel, page.channel), older))
    .orderBy(desc(chatMessages.createdAt), desc(chatMessages.id))
    .limit(first);
  return rows.map(toMessage);
}

/**
 * A channel's new messages for a player allowed to read it, until they leave or the bus
 * loses Redis (then BUS_LOST, last).
 */
export async function chatStream(deps: ChatDeps, playerId: string, channel: string): Promise<AsyncIterable<ChatMessage | BusLost>> {
  await assertMayUseChannel(deps.db, playerId, channel);
  if (!deps.events.isUp()) throw new ServiceUnavailableError('Live updates are briefly unavailable. Try again shortly.');
  return deps.events.subscribe<ChatMessage>(chatTopic(channel));
}
