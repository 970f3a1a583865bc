import type { EQUIPMENT_SLOTS } from '../reference/records.js';

export type EquipmentSlot = (typeof EQUIPMENT_SLOTS)[number];

/**
 * Equipment slots by number (character_inventory.slot). An item's equipment_slot in
 * seeds/items.json says which numbers it fits; accessories fit either ring slot.
 */
export const SLOT_NUMBERS: Record<EquipmentSlot, readonly number[]> = {
  head: [0],
  chest: [1],
  legs: [2],
  feet: [3],
  main_hand: [4],
  off_hand: [5],
  accessory: [6, 7],
};

export const MAX_SLOT = 7;
