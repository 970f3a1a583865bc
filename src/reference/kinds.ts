import type { PgTable } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import * as records from './records.js';
import type {
  AchievementRecord,
  BossRecord,
  ClassRecord,
  ElementRecord,
  EnemyRecord,
  EssenceRecord,
  HazardRecord,
  ItemRecord,
  RaceRecord,
  ThemeRecord,
  TrapRecord,
} from './records.js';
import * as tables from './tables.js';

// The registry of reference data: each kind's seed file, record schema, table (with its
// typed key columns) and the other records it points at. Record shapes: records.ts.

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

export const KINDS: { [K in KindName]: KindDefinition<KindRecords[K]> } = {
  elements: defineKind({
    file: 'elements.json',
    record: records.elementRecord,
    table: tables.elements,
    columns: () => ({}),
    references: (r) => [...refs('strengths[]', 'elements', r.strengths), ...refs('weaknesses[]', 'elements', r.weaknesses)],
  }),
  items: defineKind({
    file: 'items.json',
    record: records.itemRecord,
    table: tables.items,
    columns: (r) => ({ type: r.type, rarity: r.rarity, stackable: r.stackable, maxStack: r.max_stack, equipmentSlot: r.equipment_slot }),
    references: () => [],
  }),
  essences: defineKind({
    file: 'essences.json',
    record: records.essenceRecord,
    table: tables.essenceTypes,
    columns: () => ({}),
    references: () => [],
  }),
  enemies: defineKind({
    file: 'enemies.json',
    record: records.enemyRecord,
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
    record: records.bossRecord,
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
    record: records.raceRecord,
    table: tables.races,
    columns: () => ({}),
    references: () => [],
  }),
  classes: defineKind({
    file: 'classes.json',
    record: records.characterClassRecord,
    table: tables.characterClasses,
    columns: () => ({}),
    references: (r) => refs('starting_items[]', 'items', r.starting_items),
  }),
  themes: defineKind({
    file: 'themes.json',
    record: records.themeRecord,
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
    record: records.trapRecord,
    table: tables.traps,
    columns: (r) => ({ element: r.element }),
    references: (r) => refs('element', 'elements', [r.element]),
  }),
  hazards: defineKind({
    file: 'hazards.json',
    record: records.hazardRecord,
    table: tables.hazards,
    columns: (r) => ({ element: r.element }),
    references: (r) => refs('element', 'elements', [r.element]),
  }),
  achievements: defineKind({
    file: 'achievements.json',
    record: records.achievementRecord,
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
