import { count, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { players } from '../accounts/tables.js';
import type { Database, Executor } from '../db/client.js';
import { violatedUniqueConstraint } from '../db/errors.js';
import { ConflictError, LimitReachedError, UnauthenticatedError } from '../errors.js';
import { GAME_LIMITS } from '../limits.js';
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

/**
 * Creates a character for a player, at full vitals. NAME_TAKEN when another character has
 * the name, LIMIT_REACHED past ten characters, UNAUTHENTICATED when the player is gone.
 */
export async function createCharacter(
  db: Database,
  playerId: string,
  input: { name: string },
  origin: { attributes: Attributes; raceId?: string; classId?: string } = { attributes: STARTING_ATTRIBUTES },
): Promise<{ id: string }> {
  const { name } = parseInput(createCharacterInput, input);
  const { attributes, raceId, classId } = origin;
  try {
    return await db.transaction(async (tx) => {
      await lockPlayerWithRoom(tx, playerId);
      const [row] = await tx
        .insert(characters)
        .values({ playerId, name, raceId, classId, ...attributes, ...maxVitals(attributes) })
        .returning({ id: characters.id });
      return row!;
    });
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'characters_name_unique') {
      throw new ConflictError('NAME_TAKEN', `The name "${name}" is taken.`);
    }
    throw error;
  }
}

/** Locks the player's row (so concurrent creations count in turn) and checks there is room for one more character. */
async function lockPlayerWithRoom(tx: Executor, playerId: string): Promise<void> {
  const [player] = await tx.select({ id: players.id }).from(players).where(eq(players.id, playerId)).for('update');
  if (!player) throw new UnauthenticatedError('This account no longer exists.');
  const [owned] = await tx.select({ count: count() }).from(characters).where(eq(characters.playerId, playerId));
  const limit = GAME_LIMITS.charactersPerPlayer;
  if (owned!.count >= limit) throw new LimitReachedError('LIMIT_REACHED', `A player has at most ${limit} characters.`, limit);
}

/** The ids of every character these players own, in one statement. */
export async function characterIdsOf(db: Executor, ...playerIds: string[]): Promise<string[]> {
  if (playerIds.length === 0) return [];
  const rows = await db.select({ id: characters.id }).from(characters).where(inArray(characters.playerId, playerIds));
  return rows.map((row) => row.id);
}
