import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { characters } from '../characters/tables.js';

export const characterInventory = pgTable(
  'character_inventory',
  {
    id: uuid().primaryKey().defaultRandom(),
    characterId: uuid('character_id')
      .notNull()
      .references(() => characters.id, { onDelete: 'cascade' }),
    itemId: varchar('item_id', { length: 100 }).notNull(),
    quantity: integer().notNull().default(1),
    // null: carried, not equipped.
    slot: integer(),
    metadata: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('character_inventory_character_id_idx').on(t.characterId),
    // One stack per equipment slot per character.
    uniqueIndex('character_inventory_slot_unique').on(t.characterId, t.slot).where(sql`${t.slot} is not null`),
  ],
);
