import { eq, sql } from 'drizzle-orm';
import { players } from '../accounts/tables.js';
import { achievementsKey, CACHE_EPOCH_KEY, GAME_VERSION_KEY, PLAYER_TTL_SECONDS } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import type { Database, Executor } from '../db/client.js';
import { inOneBatch } from '../db/errors.js';
import type { ReferenceData } from '../reference/cache.js';
import type { AchievementRecord } from '../reference/records.js';
import { playerAchievements } from './tables.js';

/** A player's standing on one achievement. */
export interface AchievementProgress {
  achievementId: string;
  progress: number;
  target: number;
  unlockedAt: string | null;
}

/** The events that carry progress (DESIGN §11). */
export type ProgressEvent =
  | { type: 'result'; kills: Record<string, number>; floorReached: number; itemsCollected: number; bossesDefeated: string[] }
  /** The essences now bonded to the character that just bonded one. */
  | { type: 'essenceBonded'; bondedOnCharacter: number }
  | { type: 'drinkAssigned' };

/** Progress after the event, before capping at the target; unchanged when the event does not count. */
function progressAfter({ criteria }: AchievementRecord, current: number, event: ProgressEvent): number {
  const { subject } = criteria;
  switch (criteria.type) {
    case 'kill_count':
      if (event.type !== 'result') return current;
      return current + (subject ? (event.kills[subject] ?? 0) : Object.values(event.kills).reduce((sum, n) => sum + n, 0));
    case 'floor_reached':
      return event.type === 'result' ? Math.max(current, event.floorReached) : current;
    case 'items_collected':
      return event.type === 'result' ? current + event.itemsCollected : current;
    case 'boss_defeated': {
      if (event.type !== 'result') return current;
      const defeated = subject ? event.bossesDefeated.includes(subject) : event.bossesDefeated.length > 0;
      return defeated ? current + 1 : current;
    }
    case 'essences_bonded':
      return event.type === 'essenceBonded' ? Math.max(current, event.bondedOnCharacter) : current;
    case 'drinks_assigned':
      return event.type === 'drinkAssigned' ? current + 1 : current;
  }
}

type StoredProgress = typeof playerAchievements.$inferSelect;

/**
 * Locks the player's row (FOR NO KEY UPDATE, which leaves foreign-key checks alone) and reads
 * their stored progress, both sent when this is called, in one round trip: PostgreSQL runs a
 * transaction's statements in order, so the progress is read, with a fresh snapshot, once the
 * lock is granted, and so is any statement the caller starts after this call.
 */
export async function lockProgress(tx: Executor, playerId: string): Promise<StoredProgress[]> {
  const [, rows] = await inOneBatch([
    tx.select({ id: players.id }).from(players).where(eq(players.id, playerId)).for('no key update'),
    tx.select().from(playerAchievements).where(eq(playerAchievements.playerId, playerId)),
  ]);
  return rows;
}

/**
 * Applies one event to the player's achievements, inside the caller's transaction, and
 * returns what it unlocked. The player's row is locked first (`lockProgress`), so events of
 * one player apply one at a time: each counts once, progress stops at the target, and an
 * unlock is recorded once. Callers take their other row locks (a character) before this one.
 */
export async function advanceAchievements(
  tx: Executor,
  playerId: string,
  definitions: readonly AchievementRecord[],
  event: ProgressEvent,
): Promise<AchievementProgress[]> {
  return applyProgress(tx, playerId, definitions, await lockProgress(tx, playerId), event);
}

/** The second half of `advanceAchievements`, for a caller that sent `lockProgress` in a batch of its own. */
export async function applyProgress(
  tx: Executor,
  playerId: string,
  definitions: readonly AchievementRecord[],
  rows: readonly StoredProgress[],
  event: ProgressEvent,
): Promise<AchievementProgress[]> {
  const stored = new Map(rows.map((row) => [row.achievementId, row]));
  const now = new Date();
  const changed: Array<typeof playerAchievements.$inferInsert> = [];
  const unlocked: AchievementProgress[] = [];
  for (const definition of definitions) {
    const row = stored.get(definition.id);
    const current = row?.progress ?? 0;
    const target = definition.criteria.target;
    const progress = Math.min(target, progressAfter(definition, current, event));
    if (progress === current) continue;
    const unlockedAt = row?.unlockedAt ?? (progress >= target ? now : null);
    changed.push({ playerId, achievementId: definition.id, progress, unlockedAt });
    if (unlockedAt === now) unlocked.push({ achievementId: definition.id, progress, target, unlockedAt: now.toISOString() });
  }
  if (changed.length > 0) {
    await tx
      .insert(playerAchievements)
      .values(changed)
      .onConflictDoUpdate({
        target: [playerAchievements.playerId, playerAchievements.achievementId],
        set: { progress: sql`excluded.progress`, unlockedAt: sql`excluded.unlocked_at` },
      });
  }
  return unlocked;
}

/** Every defined achievement with the player's progress, through `user:{id}:achievements` (1 hour). */
export async function achievementsOf(
  deps: { db: Executor; cache: ReadCache },
  playerId: string,
  definitions: readonly AchievementRecord[],
): Promise<AchievementProgress[]> {
  type Stored = { achievementId: string; progress: number; unlockedAt: string | null };
  const [stored = []] = await deps.cache.readMany<Stored[]>(
    'achievements',
    [achievementsKey(playerId)],
    async (keys) => {
      const rows = await deps.db.select().from(playerAchievements).where(eq(playerAchievements.playerId, playerId));
      const values = rows.map((row) => ({
        achievementId: row.achievementId,
        progress: row.progress,
        unlockedAt: row.unlockedAt?.toISOString() ?? null,
      }));
      return new Map([[keys[0]!, values]]);
    },
    PLAYER_TTL_SECONDS,
  );
  const byId = new Map(stored.map((row) => [row.achievementId, row]));
  return [...definitions]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((definition) => {
      const row = byId.get(definition.id);
      const target = definition.criteria.target;
      return { achievementId: definition.id, progress: Math.min(target, row?.progress ?? 0), target, unlockedAt: row?.unlockedAt ?? null };
    });
}

/**
 * Whether `event` changes nothing for a player whose standing is `known` (a cached read, whose
 * progress may be lower than the stored one). Progress only grows, and every criterion moves it
 * by adding or by taking a maximum, so an event that changes nothing on lower progress changes
 * nothing on the stored one either: it adds nothing, it is below the maximum, or the progress
 * is already at the target, where it stays. An achievement at its target but never unlocked
 * (its target was lowered since) is not settled: the event's transaction records the unlock.
 */
export function changesNothing(
  definitions: readonly AchievementRecord[],
  known: readonly AchievementProgress[],
  event: ProgressEvent,
): boolean {
  const byId = new Map(known.map((row) => [row.achievementId, row]));
  return definitions.every((definition) => {
    const row = byId.get(definition.id);
    const current = row?.progress ?? 0;
    const { target } = definition.criteria;
    if (current >= target && !row?.unlockedAt) return false;
    return Math.min(target, progressAfter(definition, current, event)) === current;
  });
}

/**
 * The keys a drink reads in the same Redis step as it is recorded (`assignDrink`'s `alsoRead`),
 * which `recordDrinkProgress` takes as its guard: the cache epoch and the game-data version.
 */
export const DRINK_GUARD_KEYS: readonly string[] = [CACHE_EPOCH_KEY, GAME_VERSION_KEY];

/**
 * Players whose drinks_assigned achievements no drink can change any more, with the guard
 * (epoch and game-data version) they were found settled under, and when. Progress only grows,
 * so a player stays settled until the definitions change (a new version) or progress is
 * replaced wholesale (a world import, which bumps the epoch). Per instance (its read cache);
 * bounded, oldest out first; an entry is trusted for ten minutes at most, and all are
 * forgotten when the epoch moves.
 */
const settledDrinkersBy = new WeakMap<ReadCache, { epoch: string | null; players: Map<string, { stamp: string; at: number }> }>();
const SETTLED_DRINKERS_KEPT = 50_000;
const SETTLED_TRUSTED_MS = 10 * 60 * 1000;

/**
 * The drinks_assigned progress of a drink: nothing at all for a player known settled under
 * the same guard, otherwise `recordProgress`. Returns whether any progress changed.
 */
export async function recordDrinkProgress(
  deps: { db: Database; cache: ReadCache; reference: ReferenceData },
  playerId: string,
  guard: ReadonlyArray<string | null>,
): Promise<boolean> {
  const [epoch, version] = guard;
  let memo = settledDrinkersBy.get(deps.cache);
  if (!memo) settledDrinkersBy.set(deps.cache, (memo = { epoch: epoch ?? null, players: new Map() }));
  // Any epoch other than the last one seen forgets everyone: after a Redis flush the epoch
  // counts up again from nothing, so a value seen before does not mean nothing happened since.
  if (memo.epoch !== (epoch ?? null)) {
    memo.players.clear();
    memo.epoch = epoch ?? null;
  }
  const settledDrinkers = memo.players;
  const stamp = `${epoch ?? ''}\n${version}`;
  const known = settledDrinkers.get(playerId);
  if (version && known?.stamp === stamp && Date.now() - known.at < SETTLED_TRUSTED_MS) return false;
  settledDrinkers.delete(playerId);
  const definitions = await deps.reference.allWithVersion('achievements');
  const { changed } = await recordProgress(deps, playerId, definitions.records, { type: 'drinkAssigned' });
  if (!changed && version && definitions.version === version) {
    if (settledDrinkers.size >= SETTLED_DRINKERS_KEPT) settledDrinkers.delete(settledDrinkers.keys().next().value!);
    settledDrinkers.set(playerId, { stamp, at: Date.now() });
  }
  return changed;
}

/**
 * An event outside a result (a drink at the tavern), in its own transaction, and whether it
 * changed any progress. A player whose cached progress shows the event can change nothing (say,
 * every drinks_assigned achievement at its target) is answered from the cache, with no SQL.
 */
export async function recordProgress(
  deps: { db: Database; cache: ReadCache },
  playerId: string,
  definitions: readonly AchievementRecord[],
  event: ProgressEvent,
): Promise<{ changed: boolean; unlocked: AchievementProgress[] }> {
  if (changesNothing(definitions, await achievementsOf(deps, playerId, definitions), event)) return { changed: false, unlocked: [] };
  // Under the lock the stored progress may turn out settled after all; announcing a change then only drops a cache entry.
  const unlocked = await deps.db.transaction((tx) => advanceAchievements(tx, playerId, definitions, event));
  return { changed: true, unlocked };
}
