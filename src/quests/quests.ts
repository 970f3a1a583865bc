import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { lockCharacterOwning, lockOwnedCharacter } from '../characters/ownership.js';
import type { Database, Executor } from '../db/client.js';
import { ConflictError } from '../errors.js';
import { parseInput } from '../validation.js';
import { characterQuests, type QuestStatus } from './tables.js';

type QuestRow = typeof characterQuests.$inferSelect;

const questId = z
  .string()
  .trim()
  .regex(/^[a-z0-9_]{1,100}$/, 'must be 1 to 100 lower-case letters, digits or underscores');
const progress = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 10_000, 'must be at most 10 kB of JSON');

function lockOwnedQuest(tx: Executor, id: string, playerId: string) {
  return lockCharacterOwning(tx, playerId, { value: id, field: 'id', what: 'a quest' }, () =>
    tx.select().from(characterQuests).where(eq(characterQuests.id, id)),
  );
}

/** Starts a quest. A character cannot have the same quest active twice. */
export async function startQuest(db: Database, playerId: string, input: { characterId: string; questId: string }): Promise<QuestRow> {
  const parsed = parseInput(z.object({ characterId: z.string(), questId }), input);
  return db.transaction(async (tx) => {
    const character = await lockOwnedCharacter(tx, parsed.characterId, playerId);
    const [active] = await tx
      .select({ id: characterQuests.id })
      .from(characterQuests)
      .where(
        and(
          eq(characterQuests.characterId, character.id),
          eq(characterQuests.questId, parsed.questId),
          eq(characterQuests.status, 'active'),
        ),
      );
    if (active) throw new ConflictError('CONFLICT', `The quest ${parsed.questId} is already active.`);
    const [quest] = await tx.insert(characterQuests).values({ characterId: character.id, questId: parsed.questId }).returning();
    return quest!;
  });
}

/** Changes an active quest: new progress, or a final status. Finished quests are read-only. */
async function changeActiveQuest(
  db: Database,
  playerId: string,
  id: string,
  change: { progress?: Record<string, unknown>; status?: Exclude<QuestStatus, 'active'> },
): Promise<QuestRow> {
  return db.transaction(async (tx) => {
    const { row: quest } = await lockOwnedQuest(tx, id, playerId);
    if (quest.status !== 'active') throw new ConflictError('CONFLICT', `This quest is ${quest.status}; it can no longer change.`);
    const [updated] = await tx
      .update(characterQuests)
      .set({ ...change, ...(change.status === 'completed' ? { completedAt: new Date() } : {}) })
      .where(eq(characterQuests.id, quest.id))
      .returning();
    return updated!;
  });
}

export function updateQuestProgress(db: Database, playerId: string, input: { id: string; progress: unknown }): Promise<QuestRow> {
  const parsed = parseInput(z.object({ progress }), { progress: input.progress });
  return changeActiveQuest(db, playerId, input.id, { progress: parsed.progress });
}

export const completeQuest = (db: Database, playerId: string, id: string) => changeActiveQuest(db, playerId, id, { status: 'completed' });
export const abandonQuest = (db: Database, playerId: string, id: string) => changeActiveQuest(db, playerId, id, { status: 'abandoned' });
