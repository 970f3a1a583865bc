import { eq } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import { lockCharacterOwning } from '../characters/ownership.js';
import { RANKS } from '../characters/tables.js';
import { ConflictError, ValidationError } from '../errors.js';
import { characterAbilities } from './tables.js';

type AbilityRow = typeof characterAbilities.$inferSelect;

function lockOwnedAbility(tx: Executor, abilityId: string, playerId: string) {
  return lockCharacterOwning(tx, playerId, { value: abilityId, field: 'abilityId', what: 'an ability' }, () =>
    tx.select().from(characterAbilities).where(eq(characterAbilities.id, abilityId)),
  );
}

export async function awakenAbility(db: Database, playerId: string, abilityId: string): Promise<AbilityRow> {
  return db.transaction(async (tx) => {
    const { row: ability } = await lockOwnedAbility(tx, abilityId, playerId);
    if (ability.awakened) throw new ConflictError('CONFLICT', `${ability.abilityName} is already awakened.`);
    const [updated] = await tx.update(characterAbilities).set({ awakened: true }).where(eq(characterAbilities.id, ability.id)).returning();
    return updated!;
  });
}

/** Raises an ability one rank; it can never rank above its character. */
export async function rankUpAbility(db: Database, playerId: string, abilityId: string): Promise<AbilityRow> {
  return db.transaction(async (tx) => {
    const { row: ability, character } = await lockOwnedAbility(tx, abilityId, playerId);
    const next = RANKS[RANKS.indexOf(ability.currentRank) + 1];
    if (!next || RANKS.indexOf(next) > RANKS.indexOf(character.rank)) {
      throw new ValidationError(
        `${ability.abilityName} is ${ability.currentRank} and cannot rank above its character (${character.rank}).`,
        'abilityId',
      );
    }
    const [updated] = await tx
      .update(characterAbilities)
      .set({ currentRank: next })
      .where(eq(characterAbilities.id, ability.id))
      .returning();
    return updated!;
  });
}
