import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { players } from '../accounts/tables.js';
import { characters } from '../characters/tables.js';

export const gameSaves = pgTable(
  'game_saves',
  {
    id: uuid().primaryKey().defaultRandom(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    slot: integer().notNull(),
    version: integer().notNull(),
    state: jsonb().$type<unknown>().notNull(),
    summary: varchar({ length: 200 }),
    updatedAt: timestamp('updated_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('game_saves_player_slot_unique').on(t.playerId, t.slot), check('game_saves_slot_range', sql`${t.slot} between 1 and 3`)],
);

export const dailyChallenges = pgTable('daily_challenges', {
  id: uuid().primaryKey().defaultRandom(),
  date: date({ mode: 'string' }).notNull().unique('daily_challenges_date_unique'),
  seed: integer().notNull(),
  themeId: varchar('theme_id', { length: 100 }),
  modifiers: text().array().notNull(),
  createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
});

export const gameResults = pgTable(
  'game_results',
  {
    id: uuid().primaryKey().defaultRandom(),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    // A result outlives the character that played it.
    characterId: uuid('character_id').references(() => characters.id, { onDelete: 'set null' }),
    score: integer().notNull(),
    floorReached: integer('floor_reached').notNull(),
    durationSeconds: integer('duration_seconds').notNull(),
    victory: boolean().notNull(),
    kills: jsonb().$type<Record<string, number>>().notNull(),
    bossesDefeated: text('bosses_defeated').array().notNull(),
    itemsCollected: integer('items_collected').notNull().default(0),
    dailyChallengeId: uuid('daily_challenge_id').references(() => dailyChallenges.id, { onDelete: 'set null' }),
    ghost: jsonb().$type<unknown>(),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('game_results_player_created_idx').on(t.playerId, t.createdAt),
    index('game_results_character_id_idx').on(t.characterId),
    index('game_results_daily_challenge_id_idx').on(t.dailyChallengeId),
    index('game_results_created_at_idx').on(t.createdAt),
  ],
);

export const playerAchievements = pgTable(
  'player_achievements',
  {
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    achievementId: varchar('achievement_id', { length: 100 }).notNull(),
    progress: integer().notNull(),
    unlockedAt: timestamp('unlocked_at', { precision: 3, withTimezone: true }),
  },
  (t) => [primaryKey({ name: 'player_achievements_pk', columns: [t.playerId, t.achievementId] })],
);

// The rows the boards rank. `reached_at` is whole seconds: the same instant orders ties
// in PostgreSQL and is encoded in the Redis score (see boards.ts).
export const playerBestScores = pgTable(
  'player_best_scores',
  {
    playerId: uuid('player_id')
      .primaryKey()
      .references(() => players.id, { onDelete: 'cascade' }),
    bestScore: integer('best_score').notNull(),
    reachedAt: timestamp('reached_at', { precision: 0, withTimezone: true }).notNull(),
  },
  (t) => [index('player_best_scores_rank_idx').on(t.bestScore.desc(), t.reachedAt, t.playerId.desc())],
);

export const dailyChallengeResults = pgTable(
  'daily_challenge_results',
  {
    challengeId: uuid('challenge_id')
      .notNull()
      .references(() => dailyChallenges.id, { onDelete: 'cascade' }),
    playerId: uuid('player_id')
      .notNull()
      .references(() => players.id, { onDelete: 'cascade' }),
    bestScore: integer('best_score').notNull(),
    reachedAt: timestamp('reached_at', { precision: 0, withTimezone: true }).notNull(),
    attempts: integer().notNull().default(1),
  },
  (t) => [
    primaryKey({ name: 'daily_challenge_results_pk', columns: [t.challengeId, t.playerId] }),
    index('daily_challenge_results_player_id_idx').on(t.playerId),
    index('daily_challenge_results_rank_idx').on(t.challengeId, t.bestScore.desc(), t.reachedAt, t.playerId.desc()),
  ],
);
