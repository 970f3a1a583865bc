import type { ColumnBuilderBase } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';

/**
 * Reference data (seeds/*.json) lives in one table per kind: the stable id, the name, the
 * columns the game queries or joins on, and the whole record as jsonb (`data`), exactly as
 * the seed file has it, which is what GraphQL serves and what the loader compares.
 */
function referenceTable<TExtra extends Record<string, ColumnBuilderBase>>(name: string, extra: TExtra) {
  return pgTable(name, {
    id: varchar({ length: 100 }).primaryKey(),
    name: varchar({ length: 100 }).notNull(),
    ...extra,
    data: jsonb().$type<Record<string, unknown>>().notNull(),
  });
}

export const elements = referenceTable('elements', {});
export const items = referenceTable('items', {
  type: varchar({ length: 20 }).notNull(),
  rarity: varchar({ length: 20 }).notNull(),
  stackable: boolean().notNull(),
  maxStack: integer('max_stack').notNull(),
  equipmentSlot: varchar('equipment_slot', { length: 20 }),
});
export const essenceTypes = referenceTable('essence_types', {});
export const enemies = referenceTable('enemies', {
  level: integer().notNull(),
  element: varchar({ length: 100 }).notNull(),
  floorMin: integer('floor_min').notNull(),
  floorMax: integer('floor_max').notNull(),
});
export const bosses = referenceTable('bosses', {
  element: varchar({ length: 100 }).notNull(),
  floor: integer().notNull(),
  level: integer().notNull(),
});
export const races = referenceTable('races', {});
export const characterClasses = referenceTable('character_classes', {});
export const themes = referenceTable('themes', {
  element: varchar({ length: 100 }).notNull(),
  floorMin: integer('floor_min').notNull(),
  floorMax: integer('floor_max').notNull(),
});
export const traps = referenceTable('traps', { element: varchar({ length: 100 }).notNull() });
export const hazards = referenceTable('hazards', { element: varchar({ length: 100 }).notNull() });
export const achievements = referenceTable('achievements', { points: integer().notNull() });

/** Which version of each seed file is loaded. */
export const seedVersions = pgTable('seed_versions', {
  kind: varchar({ length: 50 }).primaryKey(),
  version: varchar({ length: 50 }).notNull(),
  updatedAt: varchar('updated_at', { length: 40 }).notNull(),
  /** sha256 of the file's records, so an edit without a version bump is still noticed. */
  checksum: varchar({ length: 64 }).notNull(),
  loadedAt: timestamp('loaded_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
});
