import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { inOneBatch } from '../db/errors.js';
import { characterIdsOf } from '../characters/characters.js';
import { lockOwnedCharacter } from '../characters/ownership.js';
import { characters, type Attribute } from '../characters/tables.js';
import { ConflictError, LimitReachedError, NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../validation.js';
import { applyProgress, lockProgress, type AchievementProgress } from '../progress/achievements.js';
import type { AchievementRecord, EssenceRecord } from '../reference/records.js';
import { essenceTypes } from '../reference/tables.js';
import { characterAbilities, characterEssences } from './tables.js';

export const MAX_ESSENCES = 4;
/** character_essences.essence_type is varchar(50). */
const MAX_ESSENCE_TYPE_LENGTH = 50;

export interface BondEssenceInput {
  characterId: string;
  essenceType: string;
  attribute: Attribute;
}

/**
 * Bonds an essence to a character (DESIGN §5), all or nothing: the character row is
 * locked, the limits are checked under the lock, then the essence, its initial
 * abilities and the attribute bonus are written in the same transaction, with the
 * essences_bonded achievements it advances. Returns, besides the essence, the ids of every
 * character the player owns, read under the player's lock (see `characterChanged`).
 *
 * The statements go in three round trips rather than one each (`inOneBatch`). PostgreSQL runs
 * a transaction's statements in the order they are sent, each with a fresh snapshot, so a read
 * sent after a lock in the same batch sees what was committed before the lock was granted.
 * Drizzle sends statements in the order they are started, which is each batch's order
 * (test/essences.test.ts checks it).
 */
export async function bondEssence(
  db: Database,
  playerId: string,
  input: BondEssenceInput,
  achievements: readonly AchievementRecord[] = [],
): Promise<{
  essence: typeof characterEssences.$inferSelect;
  characterId: string;
  unlocked: AchievementProgress[];
  playerCharacterIds: string[];
}> {
  const essenceType = input.essenceType.trim();
  if (!essenceType) throw new ValidationError('essenceType: must not be empty', 'essenceType');
  if (essenceType.length > MAX_ESSENCE_TYPE_LENGTH) {
    throw new ValidationError(`essenceType: must be at most ${MAX_ESSENCE_TYPE_LENGTH} characters`, 'essenceType');
  }
  if (!isUuid(input.characterId)) throw new ValidationError('characterId: not a character id', 'characterId');
  return db.transaction(async (tx) => {
    // The character's lock, then what the checks read under it.
    const [character, bonded, [type]] = await inOneBatch([
      lockOwnedCharacter(tx, input.characterId, playerId),
      tx
        .select({ essenceType: characterEssences.essenceType })
        .from(characterEssences)
        .where(eq(characterEssences.characterId, input.characterId)),
      tx.select({ data: essenceTypes.data }).from(essenceTypes).where(eq(essenceTypes.id, essenceType)),
    ]);
    if (bonded.length >= MAX_ESSENCES) {
      throw new LimitReachedError('MAX_ESSENCES_REACHED', `A character can bond at most ${MAX_ESSENCES} essences.`, MAX_ESSENCES);
    }
    if (bonded.some((essence) => essence.essenceType === essenceType)) {
      throw new ConflictError('ESSENCE_ALREADY_BONDED', `This character has already bonded the ${essenceType} essence.`);
    }
    if (!type) throw new NotFoundError('UNKNOWN_ESSENCE_TYPE', `There is no essence type "${essenceType}".`);
    const essence = type.data as unknown as EssenceRecord;

    // The player's lock with the progress and the character ids read under it (creating a
    // character takes that lock, so the ids stay exact until commit), then the writes. The
    // essence's id is made here so that the abilities need not wait for its insert to answer.
    const essenceId = randomUUID();
    const column = characters[input.attribute];
    const [progress, owned, [row]] = await inOneBatch([
      lockProgress(tx, playerId),
      characterIdsOf(tx, playerId),
      tx
        .insert(characterEssences)
        .values({ id: essenceId, characterId: character.id, essenceType, attributeBound: input.attribute, rankBonded: character.rank })
        .returning(),
      tx.insert(characterAbilities).values(essence.abilities.map((abilityName) => ({ characterId: character.id, essenceId, abilityName }))),
      tx
        .update(characters)
        .set({ [input.attribute]: sql`${column} + ${essence.bonus[input.attribute]}`, updatedAt: new Date() })
        .where(eq(characters.id, character.id)),
    ]);
    const event = { type: 'essenceBonded', bondedOnCharacter: bonded.length + 1 } as const;
    const unlocked = await applyProgress(tx, playerId, achievements, progress, event);
    return { essence: row!, characterId: character.id, unlocked, playerCharacterIds: owned };
  });
}
