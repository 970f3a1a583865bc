import { count, countDistinct, gte, sql } from 'drizzle-orm';
import { players } from '../accounts/tables.js';
import { STATS_KEY, STATS_TTL_SECONDS } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import { characters } from '../characters/tables.js';
import type { Executor } from '../db/client.js';
import { gameResults } from './tables.js';

export interface GameStats {
  players: number;
  characters: number;
  resultsToday: number;
  /** Players who logged in or submitted a result in the last 15 minutes. */
  activePlayers: number;
}

const ACTIVE_MINUTES = 15;

async function countStats(db: Executor): Promise<GameStats> {
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
  const since = new Date(Date.now() - ACTIVE_MINUTES * 60 * 1000).toISOString();
  const [[playerCount], [characterCount], [results], [active]] = await Promise.all([
    db.select({ n: count() }).from(players),
    db.select({ n: count() }).from(characters),
    db.select({ n: count() }).from(gameResults).where(gte(gameResults.createdAt, today)),
    db.select({ n: countDistinct(sql`active.player_id`) }).from(
      sql`(select id as player_id from ${players} where ${players.lastLogin} >= ${since}::timestamptz
             union select ${gameResults.playerId} from ${gameResults} where ${gameResults.createdAt} >= ${since}::timestamptz) as active`,
    ),
  ]);
  return { players: playerCount!.n, characters: characterCount!.n, resultsToday: results!.n, activePlayers: active!.n };
}

/** The aggregates, computed at most every 5 minutes (`stats:global`). */
export async function gameStats(deps: { db: Executor; cache: ReadCache }): Promise<GameStats> {
  const [stats] = await deps.cache.readMany<GameStats>(
    'stats',
    [STATS_KEY],
    async (keys) => new Map([[keys[0]!, await countStats(deps.db)]]),
    STATS_TTL_SECONDS,
  );
  return stats!;
}
