import { boolean, index, jsonb, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { characters, type Attribute, type Rank } from '../characters/tables.js';

export const characterEssences = pgTable(
  'character_essences',
  {
    id: uuid().primaryKey().defaultRandom(),
    characterId: uuid('character_id')
      .notNull()
      .references(() => characters.id, { onDelete: 'cascade' }),
    essenceType: varchar('essence_type', { length: 50 }).notNull(),
    attributeBound: varchar('attribute_bound', { length: 20 }).$type<Attribute>().notNull(),
    rankBonded: varchar('rank_bonded', { length: 20 }).$type<Rank>().notNull(),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('character_essences_character_id_idx').on(t.characterId),
    index('character_essences_essence_type_idx').on(t.essenceType),
    // bondEssence checks this under a row lock; the index makes it a database guarantee too.
    uniqueIndex('character_essences_character_type_unique').on(t.characterId, t.essenceType),
  ],
);

export const characterAbilities = pgTable(
  'character_abilities',
  {
    id: uuid().primaryKey().defaultRandom(),
    characterId: uuid('character_id')
      .notNull()
      .references(() => characters.id, { onDelete: 'cascade' }),
    essenceId: uuid('essence_id')
      .notNull()
      .references(() => characterEssences.id, { onDelete: 'cascade' }),
    abilityName: varchar('ability_name', { length: 100 }).notNull(),
    currentRank: varchar('current_rank', { length: 20 }).$type<Rank>().notNull().default('normal'),
    awakened: boolean().notNull().default(false),
    metadata: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('character_abilities_character_id_idx').on(t.characterId), index('character_abilities_essence_id_idx').on(t.essenceId)],
);
