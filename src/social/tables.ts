import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { players } from '../accounts/tables.js';

export const FRIENDSHIP_STATES = ['friend', 'invite_sent', 'invite_received', 'blocked'] as const;
export type FriendshipState = (typeof FRIENDSHIP_STATES)[number];

/** One row per direction: what `player_id` sees of `other_id`. */
export const friendships = pgTable(
  'friendships',
  {
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    otherId: uuid('other_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    state: varchar({ length: 20 }).$type<FriendshipState>().notNull(),
    updatedAt: timestamp('updated_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.playerId, t.otherId] }),
    index('friendships_other_id_idx').on(t.otherId),
    check('friendships_not_self', sql`${t.playerId} <> ${t.otherId}`),
  ],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    channel: varchar({ length: 120 }).notNull(),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    body: varchar({ length: 500 }).notNull(),
    // Milliseconds, so a message's createdAt round-trips through a JS Date as a page cursor.
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  // History pages by (created_at, id) within a channel.
  (t) => [
    index('chat_messages_channel_created_at_idx').on(t.channel, t.createdAt, t.id),
    index('chat_messages_sender_id_idx').on(t.senderId),
  ],
);
