import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../validation.js';
import { characters } from './tables.js';

export type CharacterRow = typeof characters.$inferSelect;

/**
 * Locks a character's row for the rest of the transaction (SELECT … FOR UPDATE) and
 * checks that the player owns it. Every write to a character and what it owns starts
 * here, so concurrent writes to one character take turns and see each other's results.
 */
export async function lockOwnedCharacter(
  tx: Executor,
  characterId: string,
  playerId: string,
  field = 'characterId',
): Promise<CharacterRow> {
  if (!isUuid(characterId)) throw new ValidationError(`${field}: not a character id`, field);
  const [character] = await tx.select().from(characters).where(eq(characters.id, characterId)).for('update');
  if (!character) throw new NotFoundError('CHARACTER_NOT_FOUND', 'No character has that id.');
  if (character.playerId !== playerId) throw new ForbiddenError('That character belongs to another player.');
  return character;
}

/**
 * For a row a character owns (an ability, a stack): finds it, locks its character
 * (owner only), then reads the row again under the lock, since it may have changed
 * or gone before the lock was taken.
 */
export async function lockCharacterOwning<T extends { characterId: string }>(
  tx: Executor,
  playerId: string,
  id: { value: string; field: string; what: string },
  lookup: () => Promise<T[]>,
): Promise<{ row: T; character: CharacterRow }> {
  if (!isUuid(id.value)) throw new ValidationError(`${id.field}: not ${id.what} id`, id.field);
  const notFound = () => new NotFoundError('NOT_FOUND', `No ${id.what} has that id.`);
  const [found] = await lookup();
  if (!found) throw notFound();
  const character = await lockOwnedCharacter(tx, found.characterId, playerId);
  const [row] = await lookup();
  if (!row) throw notFound();
  return { row, character };
}
