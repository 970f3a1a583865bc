import { and, eq, inArray, ne } from 'drizzle-orm';
import { z } from 'zod';
import { lockCharacterOwning, lockOwnedCharacter } from '../characters/ownership.js';
import type { Database, Executor } from '../db/client.js';
import { ConflictError, LimitReachedError, ValidationError } from '../errors.js';
import { items } from '../reference/tables.js';
import { GAME_LIMITS, STRING_LIMITS } from '../limits.js';
import { parseInput } from '../validation.js';
import { MAX_SLOT, SLOT_NUMBERS, type EquipmentSlot } from './slots.js';
import { characterInventory } from './tables.js';

const { inventoryEntriesPerCall, inventoryQuantityPerCall } = GAME_LIMITS;
const quantity = z
  .int('must be a whole number')
  .min(1, 'must be positive')
  .max(inventoryQuantityPerCall, `must be at most ${inventoryQuantityPerCall}`);
const itemId = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(STRING_LIMITS.referenceId, `must be at most ${STRING_LIMITS.referenceId} characters`);
// Schemas are built once: zod compiles each object schema on its first parse.
const removeItemInput = z.object({ quantity });
const addItemsInput = z.object({
  characterId: z.string(),
  items: z
    .array(z.object({ itemId, quantity }))
    .min(1, 'add at least one item')
    .max(inventoryEntriesPerCall, `add at most ${inventoryEntriesPerCall} entries at once`)
    .refine(
      (entries) => entries.reduce((sum, entry) => sum + entry.quantity, 0) <= inventoryQuantityPerCall,
      `add at most ${inventoryQuantityPerCall} items in all`,
    ),
});

/**
 * Adds items in one transaction. Stackable items first top up the character's carried
 * stacks of the same item to its max stack, then open new stacks; other items take a
 * stack each. If the result needs more stacks than inventory_max_slots, nothing is added.
 */
export async function addInventoryItems(
  db: Database,
  playerId: string,
  input: z.input<typeof addItemsInput>,
): Promise<{ characterId: string }> {
  const { characterId, items: requested } = parseInput(addItemsInput, input);
  return db.transaction(async (tx) => {
    const catalogue = await itemsById(tx, [...new Set(requested.map((r) => r.itemId))]);
    requested.forEach((r, i) => {
      if (!catalogue.has(r.itemId)) throw new ValidationError(`items[${i}].itemId: no item "${r.itemId}" exists`, `items[${i}].itemId`);
    });
    const character = await lockOwnedCharacter(tx, characterId, playerId);
    const stacks = await tx.select().from(characterInventory).where(eq(characterInventory.characterId, character.id));

    const totals = new Map<string, number>();
    for (const r of requested) totals.set(r.itemId, (totals.get(r.itemId) ?? 0) + r.quantity);

    const toppedUp: Array<{ id: string; quantity: number }> = [];
    const opened: Array<{ characterId: string; itemId: string; quantity: number }> = [];
    for (const [itemId, total] of totals) {
      const item = catalogue.get(itemId)!;
      let remaining = total;
      if (item.stackable) {
        for (const stack of stacks) {
          if (remaining === 0) break;
          if (stack.itemId !== itemId || stack.slot !== null || stack.quantity >= item.maxStack) continue;
          const added = Math.min(item.maxStack - stack.quantity, remaining);
          toppedUp.push({ id: stack.id, quantity: stack.quantity + added });
          remaining -= added;
        }
      }
      const perStack = item.stackable ? item.maxStack : 1;
      // Counted before any stack is built: a request that cannot fit is refused without the work.
      const needed = stacks.length + opened.length + Math.ceil(remaining / perStack);
      if (needed > character.inventoryMaxSlots) throw inventoryFull(needed, character.inventoryMaxSlots);
      for (; remaining > 0; remaining -= Math.min(perStack, remaining)) {
        opened.push({ characterId: character.id, itemId, quantity: Math.min(perStack, remaining) });
      }
    }

    for (const stack of toppedUp) {
      await tx.update(characterInventory).set({ quantity: stack.quantity }).where(eq(characterInventory.id, stack.id));
    }
    if (opened.length > 0) await tx.insert(characterInventory).values(opened);
    return { characterId: character.id };
  });
}

function inventoryFull(needed: number, slots: number) {
  return new LimitReachedError('INVENTORY_FULL', `That needs at least ${needed} stacks; the inventory holds ${slots}.`, slots);
}

async function itemsById(tx: Executor, ids: string[]) {
  const rows = await tx
    .select({ id: items.id, name: items.name, stackable: items.stackable, maxStack: items.maxStack, equipmentSlot: items.equipmentSlot })
    .from(items)
    .where(inArray(items.id, ids));
  return new Map(rows.map((row) => [row.id, row]));
}

function lockOwnedStack(tx: Executor, inventoryItemId: string, playerId: string) {
  return lockCharacterOwning(tx, playerId, { value: inventoryItemId, field: 'inventoryItemId', what: 'an inventory item' }, () =>
    tx.select().from(characterInventory).where(eq(characterInventory.id, inventoryItemId)),
  );
}

export interface StackChange {
  characterId: string;
  /** The stack after the change; null when it is gone. */
  inventoryItemId: string | null;
}

/** Removes some of a stack, or all of it. */
export async function removeInventoryItem(
  db: Database,
  playerId: string,
  input: { inventoryItemId: string; quantity: number },
): Promise<StackChange> {
  const amount = parseInput(removeItemInput, { quantity: input.quantity }).quantity;
  return db.transaction(async (tx) => {
    const { row: stack } = await lockOwnedStack(tx, input.inventoryItemId, playerId);
    if (amount > stack.quantity) {
      throw new ValidationError(`quantity: the stack holds only ${stack.quantity}`, 'quantity');
    }
    if (amount === stack.quantity) {
      await tx.delete(characterInventory).where(eq(characterInventory.id, stack.id));
      return { characterId: stack.characterId, inventoryItemId: null };
    }
    await tx
      .update(characterInventory)
      .set({ quantity: stack.quantity - amount })
      .where(eq(characterInventory.id, stack.id));
    return { characterId: stack.characterId, inventoryItemId: stack.id };
  });
}

/** Equips a stack into a numbered slot that its item fits (see SLOT_NUMBERS). */
export async function equipItem(db: Database, playerId: string, input: { inventoryItemId: string; slot: number }): Promise<StackChange> {
  if (!Number.isInteger(input.slot) || input.slot < 0 || input.slot > MAX_SLOT) {
    throw new ValidationError(`slot: must be 0 to ${MAX_SLOT}`, 'slot');
  }
  return db.transaction(async (tx) => {
    const { row: stack } = await lockOwnedStack(tx, input.inventoryItemId, playerId);
    const item = (await itemsById(tx, [stack.itemId])).get(stack.itemId);
    const fits = item?.equipmentSlot ? SLOT_NUMBERS[item.equipmentSlot as EquipmentSlot] : [];
    if (!fits.includes(input.slot)) {
      const where = item?.equipmentSlot ? `only in slot ${fits.join(' or ')} (${item.equipmentSlot})` : 'nowhere: it is not equipment';
      throw new ValidationError(`slot: ${item?.name ?? stack.itemId} can be equipped ${where}`, 'slot');
    }
    const [occupant] = await tx
      .select({ itemId: characterInventory.itemId })
      .from(characterInventory)
      .where(
        and(
          eq(characterInventory.characterId, stack.characterId),
          eq(characterInventory.slot, input.slot),
          ne(characterInventory.id, stack.id),
        ),
      );
    if (occupant) throw new ConflictError('SLOT_OCCUPIED', `Slot ${input.slot} already holds ${occupant.itemId}; unequip it first.`);
    await tx.update(characterInventory).set({ slot: input.slot }).where(eq(characterInventory.id, stack.id));
    return { characterId: stack.characterId, inventoryItemId: stack.id };
  });
}

export async function unequipItem(db: Database, playerId: string, inventoryItemId: string): Promise<StackChange> {
  return db.transaction(async (tx) => {
    const { row: stack } = await lockOwnedStack(tx, inventoryItemId, playerId);
    if (stack.slot !== null) {
      await tx.update(characterInventory).set({ slot: null }).where(eq(characterInventory.id, stack.id));
    }
    return { characterId: stack.characterId, inventoryItemId: stack.id };
  });
}
