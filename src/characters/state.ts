import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { ValidationError } from '../errors.js';
import { parseInput } from '../validation.js';
import { lockOwnedCharacter } from './ownership.js';
import { characters } from './tables.js';
import { maxVitals } from './vitals.js';

const stateInput = z.object({
  characterId: z.string(),
  currentRoomId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullish(),
  health: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
  mana: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
  stamina: z.int('must be a whole number').min(0, 'must not be negative').nullish(),
});

/**
 * Updates a character's live state. Omitted fields keep their value; vitals may not
 * exceed the maximums that follow from the character's attributes.
 */
export async function updateCharacterState(
  db: Database,
  playerId: string,
  input: z.input<typeof stateInput>,
): Promise<{ characterId: string }> {
  const { characterId, ...state } = parseInput(stateInput, input);
  return db.transaction(async (tx) => {
    const character = await lockOwnedCharacter(tx, characterId, playerId);
    const max = maxVitals(character);
    for (const vital of ['health', 'mana', 'stamina'] as const) {
      const value = state[vital];
      if (value != null && value > max[vital]) {
        throw new ValidationError(`${vital}: must be at most ${max[vital]} for this character`, vital);
      }
    }
    const changes = Object.fromEntries(Object.entries(state).filter(([, value]) => value != null));
    if (Object.keys(changes).length > 0) {
      await tx
        .update(characters)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(characters.id, character.id));
    }
    return { characterId: character.id };
  });
}
