import { sql } from 'drizzle-orm';
import { pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

export const players = pgTable(
  'players',
  {
    id: uuid().primaryKey().defaultRandom(),
    username: varchar({ length: 50 }).notNull().unique('players_username_unique'),
    email: varchar({ length: 255 }).notNull().unique('players_email_unique'),
    passwordHash: varchar('password_hash', { length: 255 }).notNull(),
    // Millisecond precision so a timestamp survives the round trip through a JS Date
    // (and through a connection cursor) unchanged.
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
    lastLogin: timestamp('last_login', { precision: 3, withTimezone: true }),
  },
  // "Alice" and "alice" would be indistinguishable to other players: refuse the second.
  (t) => [uniqueIndex('players_username_lower_unique').on(sql`lower(${t.username})`)],
);
