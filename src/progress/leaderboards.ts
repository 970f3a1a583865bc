import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { DAILY_BOARD_DAYS_KEPT, dailyBoardKey, GLOBAL_BOARD_KEY } from '../cache/keys.js';
import type { Executor } from '../db/client.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { dailyChallengeResults, dailyChallenges, playerBestScores } from './tables.js';

export const LEADERBOARD_PERIODS = ['all_time', 'daily'] as const;
export type LeaderboardPeriod = (typeof LEADERBOARD_PERIODS)[number];
export const MAX_TOP = 100;
export const MAX_RADIUS = 25;
/** Scores above this would not fit the tie-break encoding below. */
export const MAX_SCORE = 9_000_000;

export interface Board {
  period: LeaderboardPeriod;
  /** The UTC day of a daily board. */
  date: string | null;
  key: string;
  /** When a daily board's key expires (unix seconds); null for the global board. */
  expiresAt: number | null;
}

export interface BoardEntry {
  rank: number;
  score: number;
  playerId: string;
}

/** A player's best on a board, and when it was first reached (whole seconds). */
export interface Best {
  score: number;
  reachedAt: Date;
}

export interface BoardDeps {
  db: Executor;
  redis: Redis;
  log: Logger;
}

export const globalBoard = (): Board => ({ period: 'all_time', date: null, key: GLOBAL_BOARD_KEY, expiresAt: null });

export function dailyBoard(date: string): Board {
  const dayStart = Date.parse(`${date}T00:00:00.000Z`) / 1000;
  return { period: 'daily', date, key: dailyBoardKey(date), expiresAt: dayStart + (1 + DAILY_BOARD_DAYS_KEPT) * 24 * 60 * 60 };
}

const isLive = (board: Board) => board.expiresAt === null || board.expiresAt > Date.now() / 1000;

// Ties rank by who reached the score first. The Redis score is score * 10^9 plus the
// seconds left until 2051 at the moment the best was reached: earlier is higher, and the
// whole stays an exact integer in a double (< 2^53). Equal seconds fall back to the
// member, which ZREVRANGE orders descending, as PostgreSQL orders player_id desc.
const TIE_SPAN = 1_000_000_000;
const TIE_EPOCH_SECONDS = Date.UTC(2020, 0, 1) / 1000;
export const boardScore = (best: Best) =>
  best.score * TIE_SPAN + (TIE_SPAN - 1 - (Math.floor(best.reachedAt.getTime() / 1000) - TIE_EPOCH_SECONDS));
const scoreOf = (encoded: string) => Math.floor(Number(encoded) / TIE_SPAN);

export function checkTop(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_TOP) throw new ValidationError(`first: must be 0 to ${MAX_TOP}`, 'first');
  return first;
}
export function checkRadius(radius: number): number {
  if (!Number.isInteger(radius) || radius < 0 || radius > MAX_RADIUS)
    throw new ValidationError(`radius: must be 0 to ${MAX_RADIUS}`, 'radius');
  return radius;
}

// ---- PostgreSQL: the truth, and the answer when Redis cannot give one.

interface Row {
  playerId: string;
  score: number;
  reachedAt: Date;
}

function boardRows(db: Executor, board: Board, options: { where?: SQL; byPlayer?: boolean; limit?: number; offset?: number }) {
  const t = board.period === 'all_time' ? playerBestScores : dailyChallengeResults;
  const order = options.byPlayer ? [asc(t.playerId)] : [desc(t.bestScore), asc(t.reachedAt), desc(t.playerId)];
  const columns = { playerId: t.playerId, score: t.bestScore, reachedAt: t.reachedAt };
  const query =
    board.period === 'all_time'
      ? db.select(columns).from(playerBestScores).where(options.where).$dynamic()
      : db
          .select(columns)
          .from(dailyChallengeResults)
          .innerJoin(dailyChallenges, eq(dailyChallenges.id, dailyChallengeResults.challengeId))
          .where(and(eq(dailyChallenges.date, board.date!), options.where))
          .$dynamic();
  return query
    .orderBy(...order)
    .limit(options.limit ?? MAX_TOP)
    .offset(options.offset ?? 0) as Promise<Row[]>;
}

const columnsOf = (board: Board) => (board.period === 'all_time' ? playerBestScores : dailyChallengeResults);

/** Rows that rank above (score, reachedAt, playerId). */
function above(board: Board, row: Row): SQL {
  const t = columnsOf(board);
  return or(
    gt(t.bestScore, row.score),
    and(eq(t.bestScore, row.score), lt(t.reachedAt, row.reachedAt)),
    and(eq(t.bestScore, row.score), eq(t.reachedAt, row.reachedAt), gt(t.playerId, row.playerId)),
  )!;
}

async function countRows(db: Executor, board: Board, where?: SQL): Promise<number> {
  const [row] =
    board.period === 'all_time'
      ? await db.select({ n: count() }).from(playerBestScores).where(where)
      : await db
          .select({ n: count() })
          .from(dailyChallengeResults)
          .innerJoin(dailyChallenges, eq(dailyChallenges.id, dailyChallengeResults.challengeId))
          .where(and(eq(dailyChallenges.date, board.date!), where));
  return row?.n ?? 0;
}

async function entryFromPostgres(db: Executor, board: Board, playerId: string): Promise<BoardEntry | null> {
  const [row] = await boardRows(db, board, { where: eq(columnsOf(board).playerId, playerId), limit: 1 });
  if (!row) return null;
  return { rank: 1 + (await countRows(db, board, above(board, row))), score: row.score, playerId };
}

const ranked = (rows: Row[], firstRank: number): BoardEntry[] =>
  rows.map((row, i) => ({ rank: firstRank + i, score: row.score, playerId: row.playerId }));

/** Board reads from PostgreSQL alone, ranked exactly as Redis ranks them. */
export const fromPostgres = {
  size: (db: Executor, board: Board) => countRows(db, board),
  top: async (db: Executor, board: Board, first: number) => ranked(await boardRows(db, board, { limit: first }), 1),
  entry: entryFromPostgres,
  async around(db: Executor, board: Board, playerId: string, radius: number) {
    const entry = await entryFromPostgres(db, board, playerId);
    if (!entry) return [];
    const start = Math.max(1, entry.rank - radius);
    return ranked(await boardRows(db, board, { offset: start - 1, limit: entry.rank + radius - start + 1 }), start);
  },
};

// ---- Redis: the sorted sets. Each read script answers nil when the key is missing.

const SIZE = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('ZCARD', KEYS[1])`;
const TOP = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')`;
const ENTRY = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
if not rank then return {} end
return {rank, redis.call('ZSCORE', KEYS[1], ARGV[1])}`;
const AROUND = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
if not rank then return {} end
local start = math.max(0, rank - tonumber(ARGV[2]))
return {start, redis.call('ZREVRANGE', KEYS[1], start, rank + tonumber(ARGV[2]), 'WITHSCORES')}`;
// After commit: raise the player's entry (never lower it: GT), then answer their rank.
const RECORD = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
return redis.call('ZREVRANK', KEYS[1], ARGV[1])`;
// A rebuilt copy replaces a missing board, or merges into one that writers have since
// created (keeping each member's higher score), so no write that raced the rebuild is lost.
const MERGE = `if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('RENAME', KEYS[2], KEYS[1])
else
  redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MAX')
  redis.call('DEL', KEYS[2])
end
if ARGV[1] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIREAT', KEYS[1], ARGV[1]) end
return 1`;
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function entries(flat: string[], firstRank: number): BoardEntry[] {
  const out: BoardEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ rank: firstRank + i / 2, score: scoreOf(flat[i + 1]!), playerId: flat[i]! });
  return out;
}

const REBUILD_PAGE = 10_000;
const REBUILD_LOCK_SECONDS = 120;

/**
 * Loads a board from PostgreSQL into Redis: pages of rows by player id, each page one
 * pipeline of ZADDs into a private key, then one script swaps or merges it in.
 * Returns the number of players loaded.
 */
export async function rebuildBoard(deps: BoardDeps, board: Board): Promise<number> {
  const temp = `${board.key}:rebuild:${randomUUID()}`;
  let loaded = 0;
  let after: string | undefined;
  for (;;) {
    const where = after === undefined ? undefined : gt(columnsOf(board).playerId, after);
    const rows = await boardRows(deps.db, board, { where, byPlayer: true, limit: REBUILD_PAGE });
    if (rows.length === 0) break;
    const pipeline = deps.redis.pipeline();
    for (let i = 0; i < rows.length; i += 1000) {
      pipeline.zadd(temp, ...rows.slice(i, i + 1000).flatMap((row) => [boardScore(row), row.playerId]));
    }
    pipeline.expire(temp, REBUILD_LOCK_SECONDS * 5);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('rebuild pipeline returned nothing');
    loaded += rows.length;
    after = rows.at(-1)!.playerId;
  }
  await deps.redis.eval(MERGE, 2, board.key, temp, board.expiresAt ?? '');
  return loaded;
}

/**
 * Makes sure a missing board is rebuilt once: the instance that takes `{key}:rebuilding`
 * rebuilds; the others wait for it (`wait`) or go without. True when the key exists now.
 */
async function ensureBoard(deps: BoardDeps, board: Board, wait: boolean): Promise<boolean> {
  const lock = `${board.key}:rebuilding`;
  const token = randomUUID();
  if ((await deps.redis.set(lock, token, 'EX', REBUILD_LOCK_SECONDS, 'NX')) === 'OK') {
    try {
      const started = Date.now();
      const players = await rebuildBoard(deps, board);
      deps.log.info({ key: board.key, players, ms: Date.now() - started }, 'leaderboard rebuilt from PostgreSQL');
    } finally {
      await deps.redis.eval(UNLOCK, 1, lock, token);
    }
    return (await deps.redis.exists(board.key)) === 1;
  }
  for (let waited = 0; wait && waited < REBUILD_LOCK_SECONDS * 1000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await deps.redis.exists(board.key)) === 1) return true;
    if ((await deps.redis.exists(lock)) === 0) return false;
  }
  return false;
}

/**
 * Runs a read script on the board's key. A missing key is rebuilt (or, while another
 * instance rebuilds it, the read goes to PostgreSQL); with Redis down, reads go to
 * PostgreSQL; a daily board past its 7 days is answered from PostgreSQL only.
 */
async function readBoard<T>(
  deps: BoardDeps,
  board: Board,
  script: { lua: string; args: Array<string | number> },
  parse: (reply: unknown) => T,
  fallback: () => Promise<T>,
): Promise<T> {
  if (!isLive(board)) return fallback();
  try {
    let reply = await deps.redis.eval(script.lua, 1, board.key, ...script.args);
    if (reply === null && (await ensureBoard(deps, board, false))) reply = await deps.redis.eval(script.lua, 1, board.key, ...script.args);
    if (reply !== null) return parse(reply);
  } catch (error) {
    deps.log.warn({ key: board.key, err: { message: (error as Error).message } }, 'leaderboard unavailable in Redis; reading PostgreSQL');
  }
  return fallback();
}

export const boardSize = (deps: BoardDeps, board: Board) =>
  readBoard(deps, board, { lua: SIZE, args: [] }, Number, () => fromPostgres.size(deps.db, board));

export function topOfBoard(deps: BoardDeps, board: Board, first: number): Promise<BoardEntry[]> {
  if (checkTop(first) === 0) return Promise.resolve([]);
  return readBoard(
    deps,
    board,
    { lua: TOP, args: [first] },
    (reply) => entries(reply as string[], 1),
    () => fromPostgres.top(deps.db, board, first),
  );
}

export function boardEntry(deps: BoardDeps, board: Board, playerId: string): Promise<BoardEntry | null> {
  return readBoard(
    deps,
    board,
    { lua: ENTRY, args: [playerId] },
    (reply) => {
      const [rank, score] = reply as [number?, string?];
      return rank === undefined ? null : { rank: rank + 1, score: scoreOf(score!), playerId };
    },
    () => fromPostgres.entry(deps.db, board, playerId),
  );
}

export function aroundOnBoard(deps: BoardDeps, board: Board, playerId: string, radius: number): Promise<BoardEntry[]> {
  checkRadius(radius);
  return readBoard(
    deps,
    board,
    { lua: AROUND, args: [playerId, radius] },
    (reply) => {
      const [start, flat] = reply as [number?, string[]?];
      return start === undefined ? [] : entries(flat!, start + 1);
    },
    () => fromPostgres.around(deps.db, board, playerId, radius),
  );
}

/**
 * After a result commits: puts the player's best (read back from PostgreSQL in that
 * transaction) on the board and returns their rank. Only submitGameResult calls this.
 */
export async function recordBest(deps: BoardDeps, board: Board, playerId: string, best: Best): Promise<number> {
  if (isLive(board)) {
    try {
      const record = () => deps.redis.eval(RECORD, 1, board.key, playerId, boardScore(best)) as Promise<number | null>;
      let rank = await record();
      if (rank === -1 && (await ensureBoard(deps, board, true))) rank = await record();
      if (typeof rank === 'number' && rank >= 0) return rank + 1;
    } catch (error) {
      deps.log.warn({ key: board.key, err: { message: (error as Error).message } }, 'leaderboard not updated in Redis');
    }
  }
  return (await fromPostgres.entry(deps.db, board, playerId))!.rank;
}
