import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client.js';
import { violatedUniqueConstraint } from '../db/errors.js';
import { ConflictError } from '../errors.js';
import { parseInput } from '../validation.js';
import { characters } from './tables.js';
import { maxVitals, STARTING_ATTRIBUTES, type Attributes } from './vitals.js';

export const characterName = z
  .string()
  .trim()
  .min(2, 'must be at least 2 characters')
  .max(50, 'must be at most 50 characters')
  .regex(
    /^[A-Za-z](?:[A-Za-z0-9'-]| (?! ))*$/,
    'must start with a letter and use only letters, digits, single spaces, apostrophes and hyphens',
  )
  .refine((name) => !name.endsWith(' '), 'must not end with a space');

const createCharacterInput = z.object({ name: characterName });

/** Creates a character for a player, at full vitals. NAME_TAKEN when another character has the name. */
export async function createCharacter(
  db: Executor,
  playerId: string,
  input: { name: string },
  origin: { attributes: Attributes; raceId?: string; classId?: string } = { attributes: STARTING_ATTRIBUTES },
): Promise<{ id: string }> {
  const { name } = parseInput(createCharacterInput, input);
  const { attributes, raceId, classId } = origin;
  try {
    const [row] = await db
      .insert(characters)
      .values({ playerId, name, raceId, classId, ...attributes, ...maxVitals(attributes) })
      .returning({ id: characters.id });
    return row!;
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'characters_name_unique') {
      throw new ConflictError('NAME_TAKEN', `The name "${name}" is taken.`);
    }
    throw error;
  }
}

/** The ids of every character these players own, in one statement. */
export async function characterIdsOf(db: Executor, ...playerIds: string[]): Promise<string[]> {
  if (playerIds.length === 0) return [];
  const rows = await db.select({ id: characters.id }).from(characters).where(inArray(characters.playerId, playerIds));
  return rows.map((row) => row.id);
}
