import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { lockOwnedCharacter } from '../characters/ownership.js';
import { characters, type Attribute } from '../characters/tables.js';
import { ConflictError, LimitReachedError, NotFoundError, ValidationError } from '../errors.js';
import { advanceAchievements, type AchievementProgress } from '../progress/achievements.js';
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
 * essences_bonded achievements it advances.
 */
export async function bondEssence(
  db: Database,
  playerId: string,
  input: BondEssenceInput,
  achievements: readonly AchievementRecord[] = [],
): Promise<{ essence: typeof characterEssences.$inferSelect; characterId: string; unlocked: AchievementProgress[] }> {
  const essenceType = input.essenceType.trim();
  if (!essenceType) throw new ValidationError('essenceType: must not be empty', 'essenceType');
  if (essenceType.length > MAX_ESSENCE_TYPE_LENGTH) {
    throw new ValidationError(`essenceType: must be at most ${MAX_ESSENCE_TYPE_LENGTH} characters`, 'essenceType');
  }
  return db.transaction(async (tx) => {
    const character = await lockOwnedCharacter(tx, input.characterId, playerId);
    const bonded = await tx
      .select({ essenceType: characterEssences.essenceType })
      .from(characterEssences)
      .where(eq(characterEssences.characterId, character.id));
    if (bonded.length >= MAX_ESSENCES) {
      throw new LimitReachedError('MAX_ESSENCES_REACHED', `A character can bond at most ${MAX_ESSENCES} essences.`, MAX_ESSENCES);
    }
    if (bonded.some((essence) => essence.essenceType === essenceType)) {
      throw new ConflictError('ESSENCE_ALREADY_BONDED', `This character has already bonded the ${essenceType} essence.`);
    }
    const [type] = await tx.select({ data: essenceTypes.data }).from(essenceTypes).where(eq(essenceTypes.id, essenceType));
    if (!type) throw new NotFoundError('UNKNOWN_ESSENCE_TYPE', `There is no essence type "${essenceType}".`);
    const essence = type.data as unknown as EssenceRecord;

    const [row] = await tx
      .insert(characterEssences)
      .values({ characterId: character.id, essenceType, attributeBound: input.attribute, rankBonded: character.rank })
      .returning();
    await tx
      .insert(characterAbilities)
      .values(essence.abilities.map((abilityName) => ({ characterId: character.id, essenceId: row!.id, abilityName })));
    const column = characters[input.attribute];
    await tx
      .update(characters)
      .set({ [input.attribute]: sql`${column} + ${essence.bonus[input.attribute]}`, updatedAt: new Date() })
      .where(eq(characters.id, character.id));
    const unlocked = await advanceAchievements(tx, playerId, achievements, { type: 'essenceBonded', bondedOnCharacter: bonded.length + 1 });
    return { essence: row!, characterId: character.id, unlocked };
  });
}
