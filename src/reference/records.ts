import { z } from 'zod';

// The shape of one record of each kind of reference data, as its seed file holds it.

const id = z
  .string()
  .regex(/^[a-z0-9_]+$/, 'must be lower_snake_case')
  .max(100);
const name = z.string().min(1).max(100);
const description = z.string().min(1);
const int = z.int();
const chance = z.number().gt(0).lte(1);
const attributeSpread = z.strictObject({ power: int, speed: int, spirit: int, recovery: int });
const lootDrop = z.strictObject({ item_id: id, chance });

export const ITEM_TYPES = ['weapon', 'armor', 'accessory', 'consumable', 'material', 'quest'] as const;
export const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary'] as const;
export const EQUIPMENT_SLOTS = ['head', 'chest', 'legs', 'feet', 'main_hand', 'off_hand', 'accessory'] as const;

export const elementRecord = z.strictObject({ id, name, description, strengths: z.array(id), weaknesses: z.array(id) });
export const itemRecord = z
  .strictObject({
    id,
    name,
    description,
    type: z.enum(ITEM_TYPES),
    rarity: z.enum(RARITIES),
    stackable: z.boolean(),
    max_stack: int.min(1).max(999),
    equipment_slot: z.enum(EQUIPMENT_SLOTS).nullable(),
    value: int.min(0),
  })
  .refine((i) => i.stackable || i.max_stack === 1, { path: ['max_stack'], message: 'must be 1 for an item that does not stack' });
export const essenceRecord = z.strictObject({
  id,
  name,
  description,
  abilities: z.array(z.string().min(1).max(100)).min(1).max(4),
  bonus: attributeSpread,
});
export const enemyRecord = z.strictObject({
  id,
  name,
  description,
  level: int.min(1),
  element: id,
  floor_min: int.min(1),
  floor_max: int.min(1),
  stats: z.strictObject({ health: int.min(1), attack: int.min(0), defense: int.min(0), speed: int.min(0) }),
  loot: z.array(lootDrop),
  essence_drop: id.nullable(),
});
export const bossRecord = z.strictObject({
  id,
  name,
  description,
  element: id,
  floor: int.min(1),
  level: int.min(1),
  health: int.min(1),
  phases: z.array(z.strictObject({ name, health_threshold: chance, abilities: z.array(z.string().min(1)) })).min(1),
  loot_table: z.array(lootDrop),
  essence_drop: id.nullable(),
});
export const raceRecord = z.strictObject({ id, name, description, attribute_modifiers: attributeSpread });
export const characterClassRecord = z.strictObject({
  id,
  name,
  description,
  attribute_modifiers: attributeSpread,
  starting_items: z.array(id),
});
export const themeRecord = z.strictObject({
  id,
  name,
  description,
  floor_min: int.min(1),
  floor_max: int.min(1),
  element: id,
  enemies: z.array(id),
  hazards: z.array(id),
});
export const trapRecord = z.strictObject({
  id,
  name,
  description,
  element: id,
  damage: int.min(0),
  detection_difficulty: int.min(1).max(20),
});
export const hazardRecord = z.strictObject({ id, name, description, element: id, damage_per_turn: int.min(0) });
export const achievementRecord = z.strictObject({
  id,
  name,
  description,
  points: int.min(0),
  criteria: z.strictObject({
    type: z.enum(['kill_count', 'floor_reached', 'essences_bonded', 'items_collected', 'boss_defeated', 'drinks_assigned']),
    target: int.min(1),
    subject: id.nullable(),
  }),
});

export type ElementRecord = z.infer<typeof elementRecord>;
export type ItemRecord = z.infer<typeof itemRecord>;
export type EssenceRecord = z.infer<typeof essenceRecord>;
export type EnemyRecord = z.infer<typeof enemyRecord>;
export type BossRecord = z.infer<typeof bossRecord>;
export type RaceRecord = z.infer<typeof raceRecord>;
export type ClassRecord = z.infer<typeof characterClassRecord>;
export type ThemeRecord = z.infer<typeof themeRecord>;
export type TrapRecord = z.infer<typeof trapRecord>;
export type HazardRecord = z.infer<typeof hazardRecord>;
export type AchievementRecord = z.infer<typeof achievementRecord>;
