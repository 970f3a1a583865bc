import { bigint, index, integer, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { players } from '../accounts/tables.js';

export const RANKS = ['normal', 'iron', 'bronze', 'silver', 'gold', 'diamond'] as const;
export type Rank = (typeof RANKS)[number];

export const ATTRIBUTES = ['power', 'speed', 'spirit', 'recovery'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export const characters = pgTable(
  'characters',
  {
    id: uuid().primaryKey().defaultRandom(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    name: varchar({ length: 50 }).notNull().unique('characters_name_unique'),
    rank: varchar({ length: 20 }).$type<Rank>().notNull().default('normal'),
    power: integer().notNull().default(10),
    speed: integer().notNull().default(10),
    spirit: integer().notNull().default(10),
    recovery: integer().notNull().default(10),
    // Reference ids (races.json, classes.json) chosen in the creation wizard; null for quick-created characters.
    raceId: varchar('race_id', { length: 100 }),
    classId: varchar('class_id', { length: 100 }),
    currentRoomId: varchar('current_room_id', { length: 100 }),
    health: integer().notNull(),
    mana: integer().notNull(),
    stamina: integer().notNull(),
    // The sequence (accept time in ms, strictly increasing per character) of the live state
    // last written: a write-behind flush applies only if its state is newer (src/live-state/).
    liveStateSeq: bigint('live_state_seq', { mode: 'number' }).notNull().default(0),
    inventoryMaxSlots: integer('inventory_max_slots').notNull().default(20),
    inventoryExpansionLevel: integer('inventory_expansion_level').notNull().default(0),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('characters_player_id_idx').on(t.playerId), index('characters_created_at_idx').on(t.createdAt, t.id)],
);
