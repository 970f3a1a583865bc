/**
 * Every Redis key of the cache tiers (DESIGN §7), with its lifetime. Domains name their
 * cached data through these builders; src/invalidation.ts maps each change to the keys
 * it makes stale.
 */

/** Characters: 5 minutes. A hash, one field per selection shape or whole response. */
export const CHARACTER_TTL_SECONDS = 5 * 60;
export const characterKey = (characterId: string) => `character:${characterId}`;
/** At most this many selection shapes and whole responses are kept per `character:{id}` hash. */
export const MAX_SHAPES_PER_KEY = 32;

/** Hot per-player data: 1 hour. */
export const PLAYER_TTL_SECONDS = 60 * 60;
export const profileKey = (playerId: string) => `user:${playerId}:profile`;
export const savesKey = (playerId: string) => `user:${playerId}:saves`;
export const achievementsKey = (playerId: string) => `user:${playerId}:achievements`;

/** Reference data: 24 hours, one hash per kind, published under `game:version`. */
export const REFERENCE_TTL_SECONDS = 24 * 60 * 60;
export const GAME_VERSION_KEY = 'game:version';
export const referenceKey = (kind: string) => `game:${kind}`;

/** Computed aggregates: 5 minutes. */
export const STATS_TTL_SECONDS = 5 * 60;
export const STATS_KEY = 'stats:global';

/** Bumped when a process finds Redis again after losing it: entries of older epochs are ignored. */
export const CACHE_EPOCH_KEY = 'cache:epoch';
/** Bumped by every invalidation of `key`, so a fill that raced it is refused. */
export const versionKey = (key: string) => `${key}:ver`;

/**
 * Ranking sorted sets (DESIGN §11): indexes of PostgreSQL, not a cache tier. The global
 * board has no TTL (rebuilt whenever missing); a daily board expires 7 days after its day.
 */
export const GLOBAL_BOARD_KEY = 'leaderboard:global';
export const dailyBoardKey = (date: string) => `leaderboard:daily:${date}`;
export const DAILY_BOARD_DAYS_KEPT = 7;

/** Whole responses share their character's hash, under fields with this prefix. */
export const RESPONSE_FIELD_PREFIX = 'response:';

/**
 * Live state write-behind (not a cache: the latest accepted state until it is flushed).
 * `live:{characterId}` holds the coalesced state and its sequence; `live:pending` orders the
 * characters waiting for a flush by when the flush is due.
 */
export const liveStateKey = (characterId: string) => `live:${characterId}`;
export const LIVE_PENDING_KEY = 'live:pending';
