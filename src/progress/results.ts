import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { characters } from '../characters/tables.js';
import type { Database, Executor } from '../db/client.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { ReferenceData } from '../reference/cache.js';
import { isUuid, parseInput } from '../validation.js';
import { advanceAchievements, type AchievementProgress } from './achievements.js';
import { retryWhileUnreachable } from '../db/errors.js';
import { type Best, type Board, type BoardDeps, dailyBoard, globalBoard, MAX_SCORE, recordBest } from './leaderboards.js';
import { jsonBytes, MAX_SAVE_STATE_BYTES } from './saves.js';
import { dailyChallengeResults, dailyChallenges, gameResults, playerBestScores } from './tables.js';

export const MAX_GHOST_BYTES = MAX_SAVE_STATE_BYTES;
export const MAX_RESULTS_PAGE = 100;

const id = z.string().max(100);
const count = z.int().min(0).max(1_000_000);
const resultInput = z.object({
  characterId: z.string().refine(isUuid, 'not a character id').nullish(),
  score: z.int().min(0).max(MAX_SCORE),
  floorReached: z.int().min(0).max(10_000),
  durationSeconds: z
    .int()
    .min(0)
    .max(7 * 24 * 60 * 60),
  victory: z.boolean(),
  kills: z
    .array(z.object({ enemyId: id, count: count.min(1) }))
    .max(100)
    .nullish(),
  bossesDefeated: z.array(id).max(50).nullish(),
  itemsCollected: count.nullish(),
  dailyChallengeId: z.string().refine(isUuid, 'not a daily challenge id').nullish(),
  ghost: z
    .unknown()
    .refine((ghost) => jsonBytes(ghost) <= MAX_GHOST_BYTES, `at most ${MAX_GHOST_BYTES} bytes serialized`)
    .nullish(),
});
export type GameResultInput = z.input<typeof resultInput>;

export interface SubmittedResult {
  resultId: string;
  allTimeRank: number;
  dailyRank: number | null;
  unlocked: AchievementProgress[];
}

const unknownIndex = async (reference: ReferenceData, kind: 'enemies' | 'bosses', ids: string[]) =>
  ids.length === 0 ? -1 : (await reference.byIds(kind, ids)).indexOf(null);

/** Every enemy and boss id must name a reference record: VALIDATION names the first that does not. */
async function checkReferences(reference: ReferenceData, input: z.infer<typeof resultInput>): Promise<void> {
  const kills = input.kills ?? [];
  const unknownKill = await unknownIndex(
    reference,
    'enemies',
    kills.map((kill) => kill.enemyId),
  );
  if (unknownKill >= 0) throw new ValidationError(`kills[${unknownKill}].enemyId: no such enemy`, `kills[${unknownKill}].enemyId`);
  const unknownBoss = await unknownIndex(reference, 'bosses', input.bossesDefeated ?? []);
  if (unknownBoss >= 0) throw new ValidationError(`bossesDefeated[${unknownBoss}]: no such boss`, `bossesDefeated[${unknownBoss}]`);
}

async function checkCharacter(tx: Executor, playerId: string, characterId: string): Promise<void> {
  const [character] = await tx.select({ playerId: characters.playerId }).from(characters).where(eq(characters.id, characterId));
  if (!character) throw new NotFoundError('CHARACTER_NOT_FOUND', 'No character has that id.');
  if (character.playerId !== playerId) throw new ForbiddenError('That character belongs to another player.');
}

async function challengeDate(tx: Executor, challengeId: string): Promise<string> {
  const [challenge] = await tx.select({ date: dailyChallenges.date }).from(dailyChallenges).where(eq(dailyChallenges.id, challengeId));
  if (!challenge) throw new ValidationError('dailyChallengeId: no such daily challenge', 'dailyChallengeId');
  return challenge.date;
}

/** Raises the player's all-time best when the score beats it; returns the best as stored. */
async function raiseBest(tx: Executor, playerId: string, best: Best): Promise<Best> {
  const t = playerBestScores;
  const [row] = await tx
    .insert(t)
    .values({ playerId, bestScore: best.score, reachedAt: best.reachedAt })
    .onConflictDoUpdate({
      target: t.playerId,
      // Both expressions see the row as it was: the time moves only with a strictly better score.
      set: {
        bestScore: sql`greatest(${t.bestScore}, excluded.best_score)`,
        reachedAt: sql`case when excluded.best_score > ${t.bestScore} then excluded.reached_at else ${t.reachedAt} end`,
      },
    })
    .returning({ score: t.bestScore, reachedAt: t.reachedAt });
  return row!;
}

/** Records one attempt at a daily challenge, keeping the player's best. */
async function recordAttempt(tx: Executor, challengeId: string, playerId: string, best: Best): Promise<Best> {
  const t = dailyChallengeResults;
  const [row] = await tx
    .insert(t)
    .values({ challengeId, playerId, bestScore: best.score, reachedAt: best.reachedAt, attempts: 1 })
    .onConflictDoUpdate({
      target: [t.challengeId, t.playerId],
      set: {
        attempts: sql`${t.attempts} + 1`,
        bestScore: sql`greatest(${t.bestScore}, excluded.best_score)`,
        reachedAt: sql`case when excluded.best_score > ${t.bestScore} then excluded.reached_at else ${t.reachedAt} end`,
      },
    })
    .returning({ score: t.bestScore, reachedAt: t.reachedAt });
  return row!;
}

/**
 * Submits a finished run (DESIGN §11): stores the result, advances achievements and
 * records the daily attempt in one transaction, then, after commit, puts the player's
 * bests on the boards. Kills of one enemy listed twice are added together.
 */
export async function submitGameResult(
  deps: BoardDeps & { db: Database; reference: ReferenceData },
  playerId: string,
  raw: GameResultInput,
): Promise<SubmittedResult> {
  const input = parseInput(resultInput, raw);
  await checkReferences(deps.reference, input);
  const achievements = await deps.reference.all('achievements');
  const kills: Record<string, number> = {};
  for (const kill of input.kills ?? []) kills[kill.enemyId] = (kills[kill.enemyId] ?? 0) + kill.count;
  const bossesDefeated = [...new Set(input.bossesDefeated ?? [])];
  const itemsCollected = input.itemsCollected ?? 0;

  const committed = await deps.db.transaction(async (tx) => {
    if (input.characterId) await checkCharacter(tx, playerId, input.characterId);
    const date = input.dailyChallengeId ? await challengeDate(tx, input.dailyChallengeId) : null;
    const [result] = await tx
      .insert(gameResults)
      .values({
        playerId,
        characterId: input.characterId ?? null,
        score: input.score,
        floorReached: input.floorReached,
        durationSeconds: input.durationSeconds,
        victory: input.victory,
        kills,
        bossesDefeated,
        itemsCollected,
        dailyChallengeId: input.dailyChallengeId ?? null,
        ghost: input.ghost ?? null,
      })
      .returning({ id: gameResults.id, createdAt: gameResults.createdAt });
    const unlocked = await advanceAchievements(tx, playerId, achievements, {
      type: 'result',
      kills,
      floorReached: input.floorReached,
      itemsCollected,
      bossesDefeated,
    });
    const reached = { score: input.score, reachedAt: new Date(Math.floor(result!.createdAt.getTime() / 1000) * 1000) };
    const best = await raiseBest(tx, playerId, reached);
    const daily = date ? { date, best: await recordAttempt(tx, input.dailyChallengeId!, playerId, reached) } : null;
    return { resultId: result!.id, unlocked, best, daily };
  });

  // Committed: the rank is read back (from PostgreSQL when Redis fails) retrying while
  // PostgreSQL is unreachable, rather than turning the recorded result into an error.
  const rankOf = (board: Board, best: Best) => retryWhileUnreachable(() => recordBest(deps, board, playerId, best));
  const allTimeRank = await rankOf(globalBoard(), committed.best);
  const dailyRank = committed.daily ? await rankOf(dailyBoard(committed.daily.date), committed.daily.best) : null;
  return { resultId: committed.resultId, allTimeRank, dailyRank, unlocked: committed.unlocked };
}

export function checkResultsPage(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_RESULTS_PAGE) {
    throw new ValidationError(`first: must be 0 to ${MAX_RESULTS_PAGE}`, 'first');
  }
  return first;
}
