import { index, jsonb, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { characters } from '../characters/tables.js';

export const QUEST_STATUSES = ['active', 'completed', 'abandoned'] as const;
export type QuestStatus = (typeof QUEST_STATUSES)[number];

export const characterQuests = pgTable(
  'character_quests',
  {
    id: uuid().primaryKey().defaultRandom(),
    characterId: uuid('character_id')
      .notNull()
      .references(() => characters.id, { onDelete: 'cascade' }),
    questId: varchar('quest_id', { length: 100 }).notNull(),
    status: varchar({ length: 20 }).$type<QuestStatus>().notNull().default('active'),
    progress: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    startedAt: timestamp('started_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { precision: 3, withTimezone: true }),
  },
  (t) => [index('character_quests_character_id_idx').on(t.characterId)],
);
