import { and, asc, eq } from 'drizzle-orm';
import { PLAYER_TTL_SECONDS, savesKey } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import type { Executor } from '../db/client.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { gameSaves } from './tables.js';

export const SAVE_SLOTS = 3;
export const MAX_SAVE_STATE_BYTES = 256 * 1024;
const MAX_SUMMARY_LENGTH = 200;

/** What `user:{id}:saves` holds: every slot's metadata, without the state. */
export interface SaveSlot {
  slot: number;
  version: number;
  summary: string | null;
  updatedAt: string;
}

export interface WriteSaveInput {
  slot: number;
  expectedVersion?: number | null;
  state?: unknown;
  summary?: string | null;
}

function checkSlot(slot: number, field = 'slot'): void {
  if (!Number.isInteger(slot) || slot < 1 || slot > SAVE_SLOTS) throw new ValidationError(`${field}: must be 1 to ${SAVE_SLOTS}`, field);
}

/** The serialized size of a JSON value in bytes, as it is stored. */
export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

function checkSave(input: WriteSaveInput): void {
  checkSlot(input.slot, 'slot');
  if (input.state === undefined || input.state === null) throw new ValidationError('state: must be a JSON value', 'state');
  if (jsonBytes(input.state) > MAX_SAVE_STATE_BYTES) {
    throw new ValidationError(`state: at most ${MAX_SAVE_STATE_BYTES} bytes serialized`, 'state');
  }
  if (input.summary && input.summary.length > MAX_SUMMARY_LENGTH) {
    throw new ValidationError(`summary: at most ${MAX_SUMMARY_LENGTH} characters`, 'summary');
  }
}

const slotOf = (row: typeof gameSaves.$inferSelect): SaveSlot => ({
  slot: row.slot,
  version: row.version,
  summary: row.summary,
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Optimistic write (DESIGN §11): without expectedVersion the slot must be empty and gets
 * version 1; with it, the stored version must match and becomes expectedVersion + 1. The
 * version check is part of the INSERT or UPDATE itself, so of concurrent writers with
 * the same expectation exactly one matches.
 */
export async function writeSave(db: Executor, playerId: string, input: WriteSaveInput): Promise<SaveSlot & { state: unknown }> {
  checkSave(input);
  const values = { state: input.state, summary: input.summary ?? null, updatedAt: new Date() };
  const expected = input.expectedVersion;
  const [row] =
    expected === undefined || expected === null
      ? await db
          .insert(gameSaves)
          .values({ playerId, slot: input.slot, version: 1, ...values })
          .onConflictDoNothing()
          .returning()
      : await db
          .update(gameSaves)
          .set({ ...values, version: expected + 1 })
          .where(and(eq(gameSaves.playerId, playerId), eq(gameSaves.slot, input.slot), eq(gameSaves.version, expected)))
          .returning();
  if (!row) {
    throw new ConflictError(
      'VERSION_CONFLICT',
      expected === undefined || expected === null
        ? `Slot ${input.slot} already holds a save: send its version as expectedVersion.`
        : `Slot ${input.slot} is not at version ${expected}.`,
    );
  }
  return { ...slotOf(row), state: row.state };
}

export async function deleteSave(db: Executor, playerId: string, slot: number): Promise<{ slot: number }> {
  checkSlot(slot);
  const deleted = await db
    .delete(gameSaves)
    .where(and(eq(gameSaves.playerId, playerId), eq(gameSaves.slot, slot)))
    .returning({ slot: gameSaves.slot });
  if (deleted.length === 0) throw new NotFoundError('NOT_FOUND', `Slot ${slot} holds no save.`);
  return { slot };
}

/** The player's slots, metadata only, through `user:{id}:saves` (1 hour). */
export async function saveSlots(deps: { db: Executor; cache: ReadCache }, playerId: string): Promise<SaveSlot[]> {
  const [slots] = await deps.cache.readMany<SaveSlot[]>(
    'saves',
    [savesKey(playerId)],
    async (keys) => {
      const rows = await deps.db.select().from(gameSaves).where(eq(gameSaves.playerId, playerId)).orderBy(asc(gameSaves.slot));
      return new Map([[keys[0]!, rows.map(slotOf)]]);
    },
    PLAYER_TTL_SECONDS,
  );
  return slots ?? [];
}

/** The state of each of the player's slots, in one query. */
export async function saveStates(db: Executor, playerId: string): Promise<Map<number, { version: number; state: unknown }>> {
  const rows = await db
    .select({ slot: gameSaves.slot, version: gameSaves.version, state: gameSaves.state })
    .from(gameSaves)
    .where(eq(gameSaves.playerId, playerId));
  return new Map(rows.map((row) => [row.slot, { version: row.version, state: row.state }]));
}
