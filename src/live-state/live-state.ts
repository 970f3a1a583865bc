import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { CHARACTER_TTL_SECONDS, characterKey } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import { characters } from '../characters/tables.js';
import { maxVitals } from '../characters/vitals.js';
import type { Executor } from '../db/client.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { isUuid, parseInput } from '../validation.js';
import type { LiveState, PendingState, PendingStore } from './pending.js';

const stateInput = z.object({
  characterId: z.string(),
  currentRoomId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullish(),
  health: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
  mana: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
  stamina: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
});

/** What an update needs to know about its character: the owner, the maximums, the player's other characters. */
interface Owner {
  playerId: string;
  power: number;
  speed: number;
  spirit: number;
  recovery: number;
  /** Every character of the owner (this one included): a read of one can show the others. */
  characterIds: string[];
}

export interface LiveStateDeps {
  db: Executor;
  cache: ReadCache;
  store: PendingStore;
}

// Cached in the character's own hash, so every characterChanged (a bond raising the
// maximums, a new sibling) drops it; live updates themselves leave it alone.
async function ownerOf(deps: LiveStateDeps, characterId: string): Promise<Owner | undefined> {
  const load = async () => {
    const [row] = await deps.db
      .select({
        playerId: characters.playerId,
        power: characters.power,
        speed: characters.speed,
        spirit: characters.spirit,
        recovery: characters.recovery,
        // Spelled out: drizzle would print the outer column unqualified, which the subquery would take as its own.
        characterIds: sql<string[]>`array(select s.id from characters s where s.player_id = "characters"."player_id" order by s.id)`,
      })
      .from(characters)
      .where(eq(characters.id, characterId));
    return row;
  };
  return deps.cache.read('character', characterKey(characterId), { liveStateOwner: 1 }, load, CHARACTER_TTL_SECONDS);
}

/**
 * Accepts a live state update (DESIGN §13): validates it, checks the caller owns the
 * character, and records it as the character's pending state, to be flushed later. When
 * the pending store (Redis) fails, writes it to PostgreSQL at once instead.
 */
export async function acceptCharacterState(
  deps: LiveStateDeps,
  playerId: string,
  input: z.input<typeof stateInput>,
  onStoreFailure: (error: Error) => void = () => {},
): Promise<{ characterId: string; characterIds: string[]; latest: PendingState | null }> {
  const { characterId, ...given } = parseInput(stateInput, input);
  if (!isUuid(characterId)) throw new ValidationError('characterId: not a character id', 'characterId');
  const owner = await ownerOf(deps, characterId);
  if (!owner) throw new NotFoundError('CHARACTER_NOT_FOUND', 'No character has that id.');
  if (owner.playerId !== playerId) throw new ForbiddenError('That character belongs to another player.');
  const max = maxVitals(owner);
  for (const vital of ['health', 'mana', 'stamina'] as const) {
    const value = given[vital];
    if (value != null && value > max[vital]) {
      throw new ValidationError(`${vital}: must be at most ${max[vital]} for this character`, vital);
    }
  }
  const state: LiveState = Object.fromEntries(Object.entries(given).filter(([, value]) => value != null));
  let latest: PendingState | null = null;
  if (Object.keys(state).length > 0) {
    try {
      latest = await deps.store.record(characterId, state, Date.now());
    } catch (error) {
      onStoreFailure(error as Error);
      await writeStateNow(deps.db, characterId, state);
    }
  }
  return { characterId, characterIds: owner.characterIds, latest };
}

/**
 * The write when no pending store answers. It is the newest accepted state, so it takes a
 * sequence above any written so far: an older pending state flushed later cannot undo it.
 */
export async function writeStateNow(db: Executor, characterId: string, state: LiveState): Promise<void> {
  await db
    .update(characters)
    .set({ ...state, liveStateSeq: sql`greatest(${characters.liveStateSeq} + 1, ${Date.now()})`, updatedAt: new Date() })
    .where(eq(characters.id, characterId));
}

/**
 * Writes a batch of pending states in one statement. A row takes a state only if the state
 * is newer than the one it holds, so a batch written twice (a flusher killed after the
 * commit, before settling) or out of order changes nothing the second time. Transactional
 * writes (bondEssence …) never touch these columns, so neither side overwrites the other.
 * Returns how many rows took their state.
 */
export async function writePendingStates(db: Executor, batch: PendingState[]): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = sql.join(
    batch.map(
      (s) =>
        sql`(${s.characterId}::uuid, ${s.seq}::bigint, ${s.currentRoomId ?? null}::varchar, ${s.health ?? null}::int, ${s.mana ?? null}::int, ${s.stamina ?? null}::int)`,
    ),
    sql`, `,
  );
  const result = await db.execute(sql`update ${characters} as c set
      current_room_id = coalesce(v.room, c.current_room_id),
      health = coalesce(v.health, c.health),
      mana = coalesce(v.mana, c.mana),
      stamina = coalesce(v.stamina, c.stamina),
      live_state_seq = v.seq,
      updated_at = now()
    from (values ${rows}) as v(id, seq, room, health, mana, stamina)
    where c.id = v.id and c.live_state_seq < v.seq
    returning c.id`);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows).length;
}

/** Claims up to `limit` states due by `now`, writes them in one statement, then settles them. */
export async function flushDueStates(db: Executor, store: PendingStore, now: number, limit: number): Promise<number> {
  const claimed = await store.claim(await store.due(now, limit), now);
  if (claimed.length === 0) return 0;
  await writePendingStates(db, claimed);
  await store.settle(claimed);
  return claimed.length;
}

type LiveRow = { id: string; liveStateSeq: number; currentRoomId: string | null; health: number; mana: number; stamina: number };

/** A character row as readers must see it: with its latest accepted state, when that is newer than the row. */
export function withLatestState<T extends LiveRow>(row: T, latest: PendingState | null): T {
  if (!latest || latest.seq <= Number(row.liveStateSeq)) return row;
  const { characterId: _id, seq: _seq, ...state } = latest;
  return { ...row, ...state };
}
