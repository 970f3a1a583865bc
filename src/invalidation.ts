import type { Redis } from 'ioredis';
import {
  achievementsKey,
  characterKey,
  DAILY_BOARD_DAYS_KEPT,
  dailyBoardKey,
  GAME_VERSION_KEY,
  GLOBAL_BOARD_KEY,
  profileKey,
  REFERENCE_TTL_SECONDS,
  referenceKey,
  savesKey,
} from './cache/keys.js';
import type { ReadCache } from './cache/read-cache.js';
import { characterIdsOf } from './characters/characters.js';
import type { Executor } from './db/client.js';
import { KIND_NAMES } from './reference/kinds.js';

/**
 * What a committed write changed, in the game's words. Writers announce changes after
 * commit (never before); this module alone knows which cached keys each one makes stale.
 * The keys live in the shared Redis, so dropping them there is seen by every instance.
 */
export type Change =
  /**
   * A character, or anything it owns, was created, changed or deleted. `characterIds`, when the
   * writer has them, are all of the player's characters, read in its transaction under the
   * player's row lock (which creating a character takes); otherwise they are read after commit.
   */
  | { type: 'characterChanged'; playerId: string; characterIds?: string[] }
  /**
   * A character's live state was accepted (write-behind). Its rows are not written yet, and
   * reads overlay the pending state, so only whole responses showing these characters are stale.
   */
  | { type: 'liveStateChanged'; characterIds: string[] }
  /** Public player columns changed (lastLogin at login). */
  | { type: 'profileChanged'; playerId: string }
  /** A save slot was written or deleted (not shown on characters). */
  | { type: 'savesChanged'; playerId: string }
  /** A result, bond or drink advanced the player's progress: bestScore, achievements. */
  | { type: 'progressChanged'; playerId: string }
  /** The account and everything it owned are gone. */
  | { type: 'accountDeleted'; playerId: string; characterIds: string[] }
  /** A world document was imported: any cached read may predate it. */
  | { type: 'worldImported' }
  /** A seed run committed new reference data under this `game:version`. */
  | { type: 'referenceDataApplied'; version: string };

export type ChangeType = Change['type'];

/** What a change makes stale: the characters of some players, some characters, other keys. */
export interface StaleKeys {
  charactersOfPlayers: string[];
  characters: string[];
  /** Players whose every character is already in `characters`: their ids need no reading. */
  charactersKnownOf?: string[];
  keys: string[];
  /** Characters whose cached whole responses (not their planned rows) are stale. */
  responsesOf: string[];
  /** Everything cached is stale (bumps `cache:epoch`, which every entry is checked against). */
  everything?: boolean;
  /** A new `game:version` to publish, dropping every `game:<kind>` hash. */
  gameVersion?: string;
  /** Players to take off every leaderboard that may still hold them. */
  boardMembers?: string[];
  /** Drop the leaderboards themselves (rebuilt from PostgreSQL on their next read). */
  boards?: boolean;
}

const stale = (parts: Partial<StaleKeys>): StaleKeys => ({ charactersOfPlayers: [], characters: [], keys: [], responsesOf: [], ...parts });

// A character read nests its player, and through the player the player's other
// characters: anything shown on a player stales every character of that player.
export const STALE_KEYS: { [T in ChangeType]: (change: Extract<Change, { type: T }>) => StaleKeys } = {
  characterChanged: ({ playerId, characterIds }) =>
    characterIds ? stale({ characters: characterIds, charactersKnownOf: [playerId] }) : stale({ charactersOfPlayers: [playerId] }),
  // The announcer passes the character and its player's other characters (a response nests them).
  liveStateChanged: ({ characterIds }) => stale({ responsesOf: characterIds }),
  profileChanged: ({ playerId }) => stale({ charactersOfPlayers: [playerId], keys: [profileKey(playerId)] }),
  savesChanged: ({ playerId }) => stale({ keys: [savesKey(playerId)] }),
  progressChanged: ({ playerId }) => stale({ charactersOfPlayers: [playerId], keys: [achievementsKey(playerId)] }),
  accountDeleted: ({ playerId, characterIds }) =>
    stale({
      characters: characterIds,
      keys: [profileKey(playerId), savesKey(playerId), achievementsKey(playerId)],
      boardMembers: [playerId],
    }),
  referenceDataApplied: ({ version }) => stale({ gameVersion: version }),
  // Boards are indexes of PostgreSQL, not checked against the epoch: drop them too.
  worldImported: () => stale({ everything: true, boards: true }),
};

export function staleKeysOf(change: Change): StaleKeys {
  return (STALE_KEYS[change.type] as (change: Change) => StaleKeys)(change);
}

export interface InvalidationDeps {
  db: Executor;
  redis: Redis;
  cache: ReadCache;
}

/**
 * After commit: drops every cached key the changes made stale. Never throws: the write it
 * follows is committed and answers success.
 */
export async function announce(deps: InvalidationDeps, ...changes: Change[]): Promise<void> {
  await dropStaleKeys(deps, changes).catch(() => retryAnnouncement(deps, changes, 1));
}

const RETRY_MS = 250;
const RETRIES = 240;

/**
 * PostgreSQL went away just after the commit, so the stale keys cannot be worked out (they
 * include the ids of a player's characters). Dropping every cached entry instead would stop the
 * cache serving reads through the outage; so the announcement is retried every 250 ms until
 * PostgreSQL answers, and only after a minute is every entry dropped. Until then the writer's
 * own characters may read as before the write: nothing else can be written meanwhile.
 */
function retryAnnouncement(deps: InvalidationDeps, changes: Change[], attempt: number): void {
  setTimeout(() => {
    dropStaleKeys(deps, changes).catch((error: Error) =>
      attempt < RETRIES
        ? retryAnnouncement(deps, changes, attempt + 1)
        : deps.cache.invalidateEverything(`announcing a committed change failed for a minute: ${error.message}`),
    );
  }, RETRY_MS).unref();
}

async function dropStaleKeys(deps: InvalidationDeps, changes: Change[]): Promise<void> {
  const parts = changes.map(staleKeysOf);
  const known = new Set(parts.flatMap((part) => part.charactersKnownOf ?? []));
  const players = [...new Set(parts.flatMap((part) => part.charactersOfPlayers))].filter((player) => !known.has(player));
  const characterIds = [...parts.flatMap((part) => part.characters), ...(await characterIdsOf(deps.db, ...players))];
  const keys = [...new Set([...characterIds.map(characterKey), ...parts.flatMap((part) => part.keys)])];
  await deps.cache.invalidate(keys);
  const responses = [...new Set(parts.flatMap((part) => part.responsesOf))].map(characterKey).filter((key) => !keys.includes(key));
  await deps.cache.invalidateResponses(responses);
  if (parts.some((part) => part.everything)) await deps.cache.invalidateEverything();
  for (const { gameVersion } of parts) if (gameVersion) await publishGameVersion(deps.redis, gameVersion);
  const members = parts.flatMap((part) => part.boardMembers ?? []);
  if (members.length > 0) await removeFromBoards(deps.redis, members);
  if (parts.some((part) => part.boards)) await deps.redis.del(...liveBoardKeys()).catch(() => undefined);
}

/** The boards a player can be on: the global one and the daily ones not yet expired. */
function liveBoardKeys(now = Date.now()): string[] {
  const days = Array.from({ length: DAILY_BOARD_DAYS_KEPT + 2 }, (_, i) => new Date(now - (i - 1) * 86_400_000));
  return [GLOBAL_BOARD_KEY, ...days.map((day) => dailyBoardKey(day.toISOString().slice(0, 10)))];
}

async function removeFromBoards(redis: Redis, playerIds: string[]): Promise<void> {
  const multi = redis.multi();
  for (const key of liveBoardKeys()) multi.zrem(key, ...playerIds);
  // A board missing now is rebuilt from PostgreSQL, where the player is already gone.
  await multi.exec().catch(() => undefined);
}

/**
 * After a seed run commits: publish the new version, then drop every cached copy. The keys
 * are named one by one: a `game:*` pattern would also take the tavern's `game:{gameId}`.
 * Throws when Redis fails, so the seed command can say the cache is not yet invalidated.
 */
export async function publishGameVersion(redis: Redis, version: string): Promise<void> {
  const results = await redis
    .multi()
    .set(GAME_VERSION_KEY, version, 'EX', REFERENCE_TTL_SECONDS)
    .del(...KIND_NAMES.map(referenceKey))
    .exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('invalidation was not applied');
}

/**
 * Declares, as GraphQL extensions, which changes make a field stale:
 * `extensions: staleOn('progressChanged')`. On an object type it covers the type's exposed
 * columns and relations; a field with its own resolver declares its own. The whole-response
 * cache stores only responses whose every field is covered (src/graphql/freshness.ts).
 */
export const staleOn = (...changes: ChangeType[]) => ({ staleOn: changes });

/** On a type whose every field is computed from one record (reference data): covers them all. */
export const staleOnAllFields = (...changes: ChangeType[]) => ({ staleOn: changes, staleOnAllFields: true });

/** On a value object (Attributes): its fields are as fresh as the field that returned it. */
export const staleWithParent = () => ({ staleOn: 'parent' as const });

/**
 * On a field resolved from its own Redis record on every read, which is where it lives
 * (Player.drinkStats, from `player_drinks:{id}`): no cache holds it, so no change makes
 * anything stale, and a response that shows it is not stored whole (its planned rows are).
 * For a value that moves with play, many times a minute, where a cached copy would cost
 * every move an invalidation and would rarely be read before the next one.
 */
export const readLive = () => ({ staleOn: 'live' as const });
