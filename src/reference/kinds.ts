import type { PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import * as tables from './tables.js';

// Every kind of reference data: its seed file, the shape of one record, the table it
// loads into (with its typed key columns) and the other records it points at.

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

export const KIND_NAMES = [
  'elements',
  'items',
  'essences',
  'enemies',
  'bosses',
  'races',
  'classes',
  'themes',
  'traps',
  'hazards',
  'achievements',
] as const;
export type KindName = (typeof KIND_NAMES)[number];

/** What a reference points at: another kind's id, or an ability name granted by some essence. */
export type ReferenceTarget = KindName | 'abilities';
export interface Reference {
  field: string;
  target: ReferenceTarget;
  id: string;
}

interface KindDefinition<TRecord extends { id: string; name: string }> {
  file: string;
  /** GraphQL list field and Redis hash suffix (`game:<plural>`). */
  plural: string;
  record: z.ZodType<TRecord>;
  table: PgTable & { id: unknown; name: unknown; data: unknown };
  /** The typed key columns, beyond id, name and data. */
  columns(record: TRecord): Record<string, unknown>;
  references(record: TRecord): Reference[];
}

const defineKind = <TRecord extends { id: string; name: string }>(kind: KindDefinition<TRecord>) => kind;
/** `field` ending in `[]` names a list; each entry is reported with its index. */
function refs(field: string, target: ReferenceTarget, ids: ReadonlyArray<string | null>): Reference[] {
  return ids.flatMap((id, i) => (id === null ? [] : [{ field: field.replace('[]', `[${i}]`), target, id }]));
}
function lootRefs(field: string, loot: Array<{ item_id: string }>): Reference[] {
  return loot.map((drop, i) => ({ field: `${field}[${i}].item_id`, target: 'items', id: drop.item_id }));
}

const element = z.strictObject({ id, name, description, strengths: z.array(id), weaknesses: z.array(id) });
const item = z
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
const essence = z.strictObject({
  id,
  name,
  description,
  abilities: z.array(z.string().min(1).max(100)).min(1).max(4),
  bonus: attributeSpread,
});
const enemy = z.strictObject({
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
const boss = z.strictObject({
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
const race = z.strictObject({ id, name, description, attribute_modifiers: attributeSpread });
const characterClass = z.strictObject({ id, name, description, attribute_modifiers: attributeSpread, starting_items: z.array(id) });
const theme = z.strictObject({
  id,
  name,
  description,
  floor_min: int.min(1),
  floor_max: int.min(1),
  element: id,
  enemies: z.array(id),
  hazards: z.array(id),
});
const trap = z.strictObject({ id, name, description, element: id, damage: int.min(0), detection_difficulty: int.min(1).max(20) });
const hazard = z.strictObject({ id, name, description, element: id, damage_per_turn: int.min(0) });
const achievement = z.strictObject({
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

export type ElementRecord = z.infer<typeof element>;
export type ItemRecord = z.infer<typeof item>;
export type EssenceRecord = z.infer<typeof essence>;
export type EnemyRecord = z.infer<typeof enemy>;
export type BossRecord = z.infer<typeof boss>;
export type RaceRecord = z.infer<typeof race>;
export type ClassRecord = z.infer<typeof characterClass>;
export type ThemeRecord = z.infer<typeof theme>;
export type TrapRecord = z.infer<typeof trap>;
export type HazardRecord = z.infer<typeof hazard>;
export type AchievementRecord = z.infer<typeof achievement>;

export const KINDS: { [K in KindName]: KindDefinition<KindRecords[K]> } = {
  elements: defineKind({
    file: 'elements.json',
    plural: 'elements',
    record: element,
    table: tables.elements,
    columns: () => ({}),
    references: (r) => [...refs('strengths[]', 'elements', r.strengths), ...refs('weaknesses[]', 'elements', r.weaknesses)],
  }),
  items: defineKind({
    file: 'items.json',
    plural: 'items',
    record: item,
    table: tables.items,
    columns: (r) => ({ type: r.type, rarity: r.rarity, stackable: r.stackable, maxStack: r.max_stack, equipmentSlot: r.equipment_slot }),
    references: () => [],
  }),
  essences: defineKind({
    file: 'essences.json',
    plural: 'essenceTypes',
    record: essence,
    table: tables.essenceTypes,
    columns: () => ({}),
    references: () => [],
  }),
  enemies: defineKind({
    file: 'enemies.json',
    plural: 'enemies',
    record: enemy,
    table: tables.enemies,
    columns: (r) => ({ level: r.level, element: r.element, floorMin: r.floor_min, floorMax: r.floor_max }),
    references: (r) => [
      ...refs('element', 'elements', [r.element]),
      ...lootRefs('loot', r.loot),
      ...refs('essence_drop', 'essences', [r.essence_drop]),
    ],
  }),
  bosses: defineKind({
    file: 'bosses.json',
    plural: 'bosses',
    record: boss,
    table: tables.bosses,
    columns: (r) => ({ element: r.element, floor: r.floor, level: r.level }),
    references: (r) => [
      ...refs('element', 'elements', [r.element]),
      ...r.phases.flatMap((phase, p) => refs(`phases[${p}].abilities[]`, 'abilities', phase.abilities)),
      ...lootRefs('loot_table', r.loot_table),
      ...refs('essence_drop', 'essences', [r.essence_drop]),
    ],
  }),
  races: defineKind({
    file: 'races.json',
    plural: 'races',
    record: race,
    table: tables.races,
    columns: () => ({}),
    references: () => [],
  }),
  classes: defineKind({
    file: 'classes.json',
    plural: 'classes',
    record: characterClass,
    table: tables.characterClasses,
    columns: () => ({}),
    references: (r) => refs('starting_items[]', 'items', r.starting_items),
  }),
  themes: defineKind({
    file: 'themes.json',
    plural: 'themes',
    record: theme,
    table: tables.themes,
    columns: (r) => ({ element: r.element, floorMin: r.floor_min, floorMax: r.floor_max }),
    references: (r) => [
      ...refs('element', 'elements', [r.element]),
      ...refs('enemies[]', 'enemies', r.enemies),
      ...refs('hazards[]', 'hazards', r.hazards),
    ],
  }),
  traps: defineKind({
    file: 'traps.json',
    plural: 'traps',
    record: trap,
    table: tables.traps,
    columns: (r) => ({ element: r.element }),
    references: (r) => refs('element', 'elements', [r.element]),
  }),
  hazards: defineKind({
    file: 'hazards.json',
    plural: 'hazards',
    record: hazard,
    table: tables.hazards,
    columns: (r) => ({ element: r.element }),
    references: (r) => refs('element', 'elements', [r.element]),
  }),
  achievements: defineKind({
    file: 'achievements.json',
    plural: 'achievements',
    record: achievement,
    table: tables.achievements,
    columns: (r) => ({ points: r.points }),
    references: (r) => {
      const subject = r.criteria.subject;
      if (subject === null) return [];
      const target = r.criteria.type === 'boss_defeated' ? 'bosses' : 'enemies';
      return refs('criteria.subject', target, [subject]);
    },
  }),
};

export interface KindRecords {
  elements: ElementRecord;
  items: ItemRecord;
  essences: EssenceRecord;
  enemies: EnemyRecord;
  bosses: BossRecord;
  races: RaceRecord;
  classes: ClassRecord;
  themes: ThemeRecord;
  traps: TrapRecord;
  hazards: HazardRecord;
  achievements: AchievementRecord;
}
