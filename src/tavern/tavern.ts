import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Executor } from '../db/client.js';
import { ConflictError, ForbiddenError, LimitReachedError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.js';
import { GAME_LIMITS } from '../limits.js';
import type { Logger } from '../logger.js';
import { assertMayUseChannel } from '../social/chat.js';
import type { BusLost, EventBus } from '../redis/pubsub.js';
import { parseRecord } from '../redis/records.js';
import { requireRedis, requireRedisRead } from '../redis/require.js';
import { runScript, script } from '../redis/scripts.js';
import { isUuid, parseInput } from '../validation.js';

/**
 * Tavern dice games, kept only in Redis (DESIGN §8):
 * `game:{id}` (JSON), `channel:{channelId}` (the active game's id), set `active_games`,
 * set `player_games:{playerId}`, sorted set `drinks:{id}` (score: ms; member: the drink
 * as JSON with its own id) and hash `player_drinks:{playerId}` (`assigned`, `received`).
 * Every multi-key write is one Lua script, so it happens entirely or not at all; writes
 * that depend on the game's state compare-and-set its JSON. A game's keys, and its
 * players' `player_games`, expire 24 hours after its last activity, ended or not; an
 * entry of `active_games` or `player_games` whose game is gone is pruned when read.
 */
export interface TavernDeps {
  redis: Redis;
  log: Logger;
  events: EventBus;
}

/** What subscribers of `tavernGameEvents` receive: the game as of the event, and who acted. */
export interface TavernEvent {
  type: 'JOINED' | 'DRINK' | 'ENDED';
  game: TavernGame;
  playerId: string;
  drink: Drink | null;
}
export const tavernTopic = (gameId: string) => `tavern:${gameId}`;

const announceEvent = (deps: TavernDeps, event: TavernEvent) => deps.events.publish(tavernTopic(event.game.id), event);

export const ENDED_TTL_SECONDS = 24 * 60 * 60;
/** An active game untouched this long expires with all its keys. */
export const IDLE_TTL_SECONDS = 24 * 60 * 60;
export const gameKey = (id: string) => `game:${id}`;
export const channelKey = (channelId: string) => `channel:${channelId}`;
export const ACTIVE_GAMES_KEY = 'active_games';
export const playerGamesKey = (playerId: string) => `player_games:${playerId}`;
export const drinksKey = (gameId: string) => `drinks:${gameId}`;
export const playerDrinksKey = (playerId: string) => `player_drinks:${playerId}`;

const storedGame = z.object({
  id: z.string(),
  channelId: z.string(),
  status: z.enum(['active', 'ended']),
  participants: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.int(),
  endedAt: z.int().nullable(),
});
export type TavernGame = z.infer<typeof storedGame>;

const storedDrink = z.object({ id: z.string(), from: z.string(), to: z.string(), reason: z.string().nullable(), at: z.int() });
export type Drink = z.infer<typeof storedDrink>;

const channelId = z
  .string()
  .max(100, 'must be 1 to 100 letters, digits or _ . : # -')
  .trim()
  .regex(/^[A-Za-z0-9_.:#-]{1,100}$/, 'must be 1 to 100 letters, digits or _ . : # -');
const reason = z.string().trim().max(200, 'must be at most 200 characters').nullish();
// Built once: zod compiles each object schema on its first parse.
const channelInput = z.object({ channelId });
const drinkInput = z.object({ reason });

// Starts a game unless the channel has one: the channel key is the lock.
// KEYS: channel, game, active_games, player_games. ARGV: id, JSON, idle TTL.
const START = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[3])
return false`;

// Replaces the game's JSON only if it is unchanged since it was read, adds the joining
// player's index entry in the same step, and renews the game's keys.
// KEYS: game, player_games, channel, drinks. ARGV: JSON read, new JSON, id, idle TTL.
const JOIN = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
if redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
redis.call('EXPIRE', KEYS[4], ARGV[4])
return 1`;

// Records a drink if the game is still as read (so still active), bumps both counters, renews
// the game's keys and publishes the event to the game's subscribers (when the live-event bus
// is this Redis): the JSON of a TavernEvent, made here from the game and the drink already at
// hand, so neither is sent twice. Then reads back the caller's extra keys, in the same step.
// KEYS: game, drinks, player_drinks (from), player_drinks (to), channel, then the keys to read.
// ARGV: JSON read, ms, drink JSON, id, idle TTL, pub/sub channel ('' or none: no publish), the
// giver's id as a JSON string.
// Returns {1, then the values of the extra keys}, or {0, the game's JSON as it is now (nil if gone)}.
// (Exported for the benchmark's baseline, which runs it bare: five keys, five arguments.)
export const ASSIGN = script(`
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return {0, current} end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'assigned', 1)
redis.call('HINCRBY', KEYS[4], 'received', 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if redis.call('GET', KEYS[5]) == ARGV[4] then redis.call('EXPIRE', KEYS[5], ARGV[5]) end
if ARGV[6] and ARGV[6] ~= '' then
  redis.call('PUBLISH', ARGV[6], '{"type":"DRINK","game":' .. current .. ',"playerId":' .. ARGV[7] .. ',"drink":' .. ARGV[3] .. '}')
end
if #KEYS > 5 then return {1, unpack(redis.call('MGET', unpack(KEYS, 6)))} end
return {1}`);

// Ends the game: frees the channel (if it still points here), leaves active_games and
// every participant's player_games, and gives the game and its ledger a TTL.
// KEYS: game, channel, active_games, drinks, player_games of each participant.
// ARGV: JSON read, ended JSON, id, TTL.
const END = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('SREM', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[4], ARGV[4])
for i = 5, #KEYS do redis.call('SREM', KEYS[i], ARGV[3]) end
return 1`;

const MAX_ATTEMPTS = 5;

/** The refusals for a game that is not there, or no longer active. */
const noSuchGame = () => new NotFoundError('NOT_FOUND', 'No tavern game has that id.');
const gameEnded = () => new ConflictError('CONFLICT', 'That game has ended; it is read-only.');

export async function readGame(deps: TavernDeps, id: string): Promise<{ game: TavernGame; raw: string } | null> {
  if (!isUuid(id)) return null;
  return parseGame(deps, id, await requireRedisRead(() => deps.redis.get(gameKey(id))));
}

export async function gameByChannel(deps: TavernDeps, channel: string): Promise<TavernGame | null> {
  parseInput(channelInput, { channelId: channel });
  const id = await requireRedisRead(() => deps.redis.get(channelKey(channel)));
  return id ? ((await readGame(deps, id))?.game ?? null) : null;
}

/** The active games of an index set (oldest first); entries whose game expired or ended are pruned. */
async function activeGamesIn(deps: TavernDeps, indexKey: string): Promise<TavernGame[]> {
  const ids = await requireRedisRead(() => deps.redis.smembers(indexKey));
  if (ids.length === 0) return [];
  const values = await requireRedisRead(() => deps.redis.mget(...ids.map(gameKey)));
  const games = values.map((value, i) => parseRecord(deps.log, storedGame, gameKey(ids[i]!), value, 'tavern record'));
  const gone = ids.filter((_id, i) => games[i]?.status !== 'active');
  if (gone.length > 0) await requireRedis(() => deps.redis.srem(indexKey, ...gone));
  return games.filter((game): game is TavernGame => game?.status === 'active').sort((a, b) => a.createdAt - b.createdAt);
}

/** The oldest `first` active games (at most 100). */
export async function activeGames(deps: TavernDeps, first: number = GAME_LIMITS.activeTavernGamesPage.default): Promise<TavernGame[]> {
  const { max } = GAME_LIMITS.activeTavernGamesPage;
  if (!Number.isInteger(first) || first < 0 || first > max) throw new ValidationError(`first: must be 0 to ${max}`, 'first');
  return (await activeGamesIn(deps, ACTIVE_GAMES_KEY)).slice(0, first);
}

/** The active games a player takes part in (at most 50, oldest first). */
export async function playerGames(deps: TavernDeps, playerId: string): Promise<TavernGame[]> {
  return (await activeGamesIn(deps, playerGamesKey(playerId))).slice(0, GAME_LIMITS.myTavernGames);
}

/** A deleted account's tavern keys: its drink counters and its game index. */
export async function forgetTavernPlayer(deps: TavernDeps, playerId: string): Promise<void> {
  await requireRedis(() => deps.redis.del(playerDrinksKey(playerId), playerGamesKey(playerId)));
}

/** Starts a game in a channel; the caller joins it. CONFLICT if the channel has an active game. */
export async function startGame(deps: TavernDeps, playerId: string, input: { channelId: string }): Promise<TavernGame> {
  const channel = parseInput(channelInput, input).channelId;
  const game: TavernGame = {
    id: randomUUID(),
    channelId: channel,
    status: 'active',
    participants: [playerId],
    createdBy: playerId,
    createdAt: Date.now(),
    endedAt: null,
  };
  const existing = await requireRedis(() =>
    deps.redis.eval(
      START,
      4,
      channelKey(channel),
      gameKey(game.id),
      ACTIVE_GAMES_KEY,
      playerGamesKey(playerId),
      game.id,
      JSON.stringify(game),
      IDLE_TTL_SECONDS,
    ),
  );
  if (existing) throw new ConflictError('CONFLICT', `Channel ${channel} already has an active game (${String(existing)}).`);
  return game;
}

/** Reads an active game, applies `change` and writes it back atomically, retrying if it moved meanwhile. */
async function changeActiveGame<T>(
  deps: TavernDeps,
  gameId: string,
  change: (game: TavernGame, raw: string) => Promise<{ written: boolean; result: T }>,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await readGame(deps, gameId);
    if (!found) throw noSuchGame();
    if (found.game.status !== 'active') throw gameEnded();
    const { written, result } = await change(found.game, found.raw);
    if (written) return result;
  }
  throw new ServiceUnavailableError('The game is busy; try again.');
}

export function joinGame(deps: TavernDeps, playerId: string, gameId: string): Promise<TavernGame> {
  return changeActiveGame(deps, gameId, async (game, raw) => {
    if (game.participants.includes(playerId)) return { written: true, result: game };
    if (game.participants.length >= GAME_LIMITS.tavernParticipants) {
      throw new LimitReachedError(
        'LIMIT_REACHED',
        `A game seats at most ${GAME_LIMITS.tavernParticipants} players.`,
        GAME_LIMITS.tavernParticipants,
      );
    }
    const next = { ...game, participants: [...game.participants, playerId] };
    const written = await requireRedis(() =>
      deps.redis.eval(
        JOIN,
        4,
        gameKey(game.id),
        playerGamesKey(playerId),
        channelKey(game.channelId),
        drinksKey(game.id),
        raw,
        JSON.stringify(next),
        game.id,
        IDLE_TTL_SECONDS,
      ),
    );
    if (written === 1) announceEvent(deps, { type: 'JOINED', game: next, playerId, drink: null });
    return { written: written === 1, result: next };
  });
}

/**
 * The games an instance (its Redis client) last wrote a drink in, by id, so a drink need not
 * read its game first: the drink is written only if the game is still exactly this JSON (the
 * script compares), and otherwise the script returns the game as it is, which is checked
 * again. A refusal (not a participant) is only ever given from a fresh read. Bounded; the
 * oldest entry goes first.
 */
const lastSeenBy = new WeakMap<Redis, Map<string, { game: TavernGame; raw: string }>>();
const LAST_SEEN_KEPT = 10_000;

function lastSeenOf(redis: Redis): Map<string, { game: TavernGame; raw: string }> {
  let games = lastSeenBy.get(redis);
  if (!games) lastSeenBy.set(redis, (games = new Map()));
  return games;
}

function remember(games: Map<string, { game: TavernGame; raw: string }>, found: { game: TavernGame; raw: string }): void {
  games.delete(found.game.id);
  if (games.size >= LAST_SEEN_KEPT) games.delete(games.keys().next().value!);
  games.set(found.game.id, found);
}

function parseGame(deps: TavernDeps, id: string, raw: string | null): { game: TavernGame; raw: string } | null {
  const game = parseRecord(deps.log, storedGame, gameKey(id), raw, 'tavern record');
  return game && raw ? { game, raw } : null;
}

/**
 * Records a drink, publishes its event and, in the same Redis step, reads `alsoRead` (keys
 * whose values the caller needs next; null for a missing key). Retries when the game moved.
 */
export async function assignDrink(
  deps: TavernDeps,
  playerId: string,
  input: { gameId: string; toPlayerId: string; reason?: string | null },
  alsoRead: readonly string[] = [],
): Promise<{ drink: Drink; read: Array<string | null> }> {
  const why = parseInput(drinkInput, { reason: input.reason }).reason ?? null;
  const lastSeen = lastSeenOf(deps.redis);
  let found = isUuid(input.gameId) ? (lastSeen.get(input.gameId) ?? null) : null;
  let fresh = found === null;
  if (!found) found = await readGame(deps, input.gameId);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const refusal = found ? drinkRefusal(found.game, playerId, input.toPlayerId) : noSuchGame();
    if (refusal && fresh) throw refusal;
    if (refusal) {
      // Refused by what this process saw last: read the game again before answering.
      found = await readGame(deps, input.gameId);
      fresh = true;
      continue;
    }
    const { game, raw } = found!;
    const drink: Drink = { id: randomUUID(), from: playerId, to: input.toPlayerId, reason: why, at: Date.now() };
    const channel = deps.events.redisChannel(tavernTopic(game.id));
    const [written, ...values] = (await requireRedis(() =>
      runScript(
        deps.redis,
        ASSIGN,
        5 + alsoRead.length,
        gameKey(game.id),
        drinksKey(game.id),
        playerDrinksKey(playerId),
        playerDrinksKey(input.toPlayerId),
        channelKey(game.channelId),
        ...alsoRead,
        raw,
        drink.at,
        JSON.stringify(drink),
        game.id,
        IDLE_TTL_SECONDS,
        channel ?? '',
        channel ? JSON.stringify(playerId) : '',
      ),
    )) as [number, ...unknown[]];
    if (written === 1) {
      remember(lastSeen, found!);
      if (!channel) announceEvent(deps, { type: 'DRINK', game, playerId, drink });
      return { drink, read: alsoRead.map((_key, i) => stringOrNull(values[i])) };
    }
    lastSeen.delete(game.id);
    found = parseGame(deps, game.id, stringOrNull(values[0]));
    fresh = true;
  }
  throw new ServiceUnavailableError('The game is busy; try again.');
}

/** A missing value in a script's reply: nil from Redis, false from the in-process stand-in. */
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Why `playerId` may not give `toPlayerId` a drink in `game`, or null. */
function drinkRefusal(game: TavernGame, playerId: string, toPlayerId: string): Error | null {
  if (game.status !== 'active') return gameEnded();
  if (!game.participants.includes(playerId)) return new ForbiddenError('Only participants of this game assign drinks.');
  if (toPlayerId === playerId) return new ValidationError('toPlayerId: you cannot assign a drink to yourself', 'toPlayerId');
  if (!game.participants.includes(toPlayerId))
    return new ValidationError('toPlayerId: drinks go only to participants of the game', 'toPlayerId');
  return null;
}

export function endGame(deps: TavernDeps, playerId: string, gameId: string): Promise<TavernGame> {
  return changeActiveGame(deps, gameId, async (game, raw) => {
    if (game.createdBy !== playerId) throw new ForbiddenError('Only the player who started this game can end it.');
    const ended: TavernGame = { ...game, status: 'ended', endedAt: Date.now() };
    const written = await requireRedis(() =>
      deps.redis.eval(
        END,
        4 + game.participants.length,
        gameKey(game.id),
        channelKey(game.channelId),
        ACTIVE_GAMES_KEY,
        drinksKey(game.id),
        ...game.participants.map(playerGamesKey),
        raw,
        JSON.stringify(ended),
        game.id,
        ENDED_TTL_SECONDS,
      ),
    );
    if (written === 1) announceEvent(deps, { type: 'ENDED', game: ended, playerId, drink: null });
    return { written: written === 1, result: ended };
  });
}

export const MAX_LEDGER_PAGE = 500;

/** The ledger between two instants (inclusive), oldest first, at most MAX_LEDGER_PAGE drinks. */
export async function drinksBetween(deps: TavernDeps, gameId: string, since: Date | null, until: Date | null): Promise<Drink[]> {
  const members = await requireRedisRead(() =>
    deps.redis.zrangebyscore(
      drinksKey(gameId),
      since ? since.getTime() : '-inf',
      until ? until.getTime() : '+inf',
      'LIMIT',
      0,
      MAX_LEDGER_PAGE,
    ),
  );
  return members
    .map((member) => parseRecord(deps.log, storedDrink, drinksKey(gameId), member, 'tavern record'))
    .filter((drink): drink is Drink => drink !== null);
}

export async function drinkStats(deps: TavernDeps, playerId: string): Promise<{ assigned: number; received: number }> {
  const [assigned, received] = await requireRedisRead(() => deps.redis.hmget(playerDrinksKey(playerId), 'assigned', 'received'));
  return { assigned: Number(assigned ?? 0), received: Number(received ?? 0) };
}

/**
 * A game's events for a player who may watch it: anyone signed in, or, for a game played
 * in a chat channel, whoever may read that channel (FORBIDDEN otherwise). Ends when they
 * leave or the bus loses Redis (then BUS_LOST, last). NOT_FOUND for an unknown game.
 */
export async function watchGame(
  deps: TavernDeps & { db: Executor },
  playerId: string,
  gameId: string,
): Promise<AsyncIterable<TavernEvent | BusLost>> {
  const found = await readGame(deps, gameId);
  if (!found) throw noSuchGame();
  if (/^(room|dm):/.test(found.game.channelId)) await assertMayUseChannel(deps.db, playerId, found.game.channelId);
  if (!deps.events.isUp()) throw new ServiceUnavailableError('Live updates are briefly unavailable. Try again shortly.');
  return deps.events.subscribe<TavernEvent>(tavernTopic(gameId));
}
