import { type GraphQLResolveInfo, Kind } from 'graphql';
import type { PublicProfile } from '../accounts/player-profiles.js';
import { PlayerRef } from '../accounts/graphql.js';
import type { Context } from '../context.js';
import { BondEssencePayload } from '../essences/graphql.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { readAfterCommit } from '../graphql/writes.js';
import { storedEnum } from '../graphql/enums.js';
import { playerErrors } from '../graphql/errors.js';
import { announce, staleOn, staleWithParent } from '../invalidation.js';
import { AchievementRef } from '../reference/graphql.js';
import { isUuid } from '../validation.js';
import { type AchievementProgress, achievementsOf } from './achievements.js';
import { dailyChallenge, type DailyChallenge, parseDay, utcDay } from './daily-challenges.js';
import {
  aroundOnBoard,
  type Board,
  type BoardEntry,
  boardEntry,
  boardSize,
  dailyBoard,
  globalBoard,
  LEADERBOARD_PERIODS,
  topOfBoard,
} from './leaderboards.js';
import { checkResultsPage, type SubmittedResult, submitGameResult } from './results.js';
import { deleteSave, type SaveSlot, saveSlots, saveStates, writeSave } from './saves.js';
import { gameStats, type GameStats } from './stats.js';

// ---- Saves

type SaveView = SaveSlot & { playerId: string; state?: unknown };

// The states of a player's slots, read once per request however many saves are shown.
const statesRead = new WeakMap<Context, ReturnType<typeof saveStates>>();
async function stateOf(ctx: Context, save: SaveView): Promise<unknown> {
  if (save.state !== undefined) return save.state;
  let states = statesRead.get(ctx);
  if (!states) statesRead.set(ctx, (states = saveStates(ctx.db, save.playerId)));
  return (await states).get(save.slot)?.state ?? null;
}

const GameSaveRef = builder.objectRef<SaveView>('GameSave').implement({
  description: "One of a player's three save slots. Writes are optimistic: send the version you read.",
  fields: (t) => ({
    slot: t.exposeInt('slot'),
    version: t.exposeInt('version'),
    summary: t.exposeString('summary', { nullable: true }),
    state: t.field({ type: 'JSON', resolve: (save, _args, ctx) => stateOf(ctx, save) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (save) => save.updatedAt }),
  }),
});

const WriteSaveInput = builder.inputType('WriteSaveInput', {
  fields: (t) => ({
    slot: t.int({ description: '1 to 3.' }),
    expectedVersion: t.int({ required: false, description: 'The version read; omit to fill an empty slot.' }),
    state: t.field({ type: 'JSON', description: 'At most 256 KiB serialized.' }),
    summary: t.string({ required: false, description: 'At most 200 characters.' }),
  }),
});
const SavePayload = builder.objectRef<SaveView>('SavePayload').implement({
  fields: (t) => ({ save: t.field({ type: GameSaveRef, resolve: (save) => save }) }),
});
const DeleteSavePayload = builder.objectRef<{ slot: number }>('DeleteSavePayload').implement({
  fields: (t) => ({ slot: t.exposeInt('slot') }),
});

// ---- Results and achievements

builder.drizzleObject('gameResults', {
  name: 'GameResult',
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    player: t.relation('player'),
    characterId: t.exposeID('characterId', { nullable: true }),
    score: t.exposeInt('score'),
    floorReached: t.exposeInt('floorReached'),
    durationSeconds: t.exposeInt('durationSeconds'),
    victory: t.exposeBoolean('victory'),
    bossesDefeated: t.exposeStringList('bossesDefeated'),
    itemsCollected: t.exposeInt('itemsCollected'),
    dailyChallengeId: t.exposeID('dailyChallengeId', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const PlayerAchievementRef = builder.objectRef<AchievementProgress>('PlayerAchievement').implement({
  // As fresh as the field that listed it (Player.achievements: progressChanged).
  extensions: staleWithParent(),
  fields: (t) => ({
    achievement: t.field({
      type: AchievementRef,
      resolve: async (p, _args, ctx) => (await ctx.loaders.reference('achievements').load(p.achievementId))!,
    }),
    progress: t.exposeInt('progress', { description: 'Never above target.' }),
    target: t.exposeInt('target'),
    unlockedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.unlockedAt }),
  }),
});

const KillCountInput = builder.inputType('KillCountInput', {
  fields: (t) => ({ enemyId: t.string(), count: t.int() }),
});
const SubmitGameResultInput = builder.inputType('SubmitGameResultInput', {
  fields: (t) => ({
    characterId: t.id({ required: false }),
    score: t.int({ description: '0 to 9,000,000.' }),
    floorReached: t.int(),
    durationSeconds: t.int(),
    victory: t.boolean(),
    kills: t.field({ type: [KillCountInput], required: false, description: 'At most 100 entries; enemy ids from the reference data.' }),
    bossesDefeated: t.stringList({ required: false, description: 'Boss ids from the reference data.' }),
    itemsCollected: t.int({ required: false }),
    dailyChallengeId: t.id({ required: false, description: "Counts the run on that day's board." }),
    ghost: t.field({ type: 'JSON', required: false, description: 'Replay data, at most 256 KiB serialized.' }),
  }),
});

const GameResultPayload = builder.objectRef<SubmittedResult>('GameResultPayload').implement({
  fields: (t) => ({
    result: t.drizzleField({
      type: 'gameResults',
      resolve: (query, { resultId }, _args, ctx) =>
        readAfterCommit(() => ctx.db.query.gameResults.findFirst(query({ where: { id: resultId } }))),
    }),
    allTimeRank: t.exposeInt('allTimeRank'),
    dailyRank: t.exposeInt('dailyRank', { nullable: true, description: 'Null without dailyChallengeId.' }),
    unlocked: t.field({ type: [PlayerAchievementRef], resolve: (r) => r.unlocked }),
  }),
});

builder.objectField(BondEssencePayload, 'unlocked', (t) =>
  t.field({ type: [PlayerAchievementRef], description: 'Achievements this bond unlocked.', resolve: (bond) => bond.unlocked }),
);

builder.drizzleObjectFields(PlayerRef, (t) => ({
  achievements: t.field({
    type: [PlayerAchievementRef],
    description: "Every achievement with this player's progress towards it.",
    extensions: staleOn('progressChanged'),
    resolve: async (player, _args, ctx) => achievementsOf(ctx, player.id, await ctx.reference.all('achievements')),
  }),
  bestScore: t.int({
    nullable: true,
    description: 'The best score of all their results; null before the first.',
    extensions: staleOn('progressChanged'),
    select: { with: { best: { columns: { bestScore: true } } } },
    resolve: (player) => player.best?.bestScore ?? null,
  }),
}));

// ---- Daily challenges and leaderboards

const DailyChallengeRef = builder.objectRef<DailyChallenge>('DailyChallenge').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    date: t.exposeString('date'),
    seed: t.exposeInt('seed'),
    themeId: t.exposeString('themeId', { nullable: true }),
    modifiers: t.exposeStringList('modifiers', { description: 'Reference ids prefixed by kind: trap:…, hazard:…, element:…' }),
  }),
});

const LeaderboardPeriodEnum = storedEnum('LeaderboardPeriod', LEADERBOARD_PERIODS);

/** True when a field asks its object for nothing but `id` (and `__typename`). */
const selectsOnlyId = (info: GraphQLResolveInfo) =>
  info.fieldNodes.every((node) =>
    node.selectionSet?.selections.every((s) => s.kind === Kind.FIELD && ['id', '__typename'].includes(s.name.value)),
  );

/**
 * The player of an entry: through the profile DataLoader, or, when only the id is asked
 * for (a board page's usual shape), straight from the board, with no lookup at all.
 * Boards drop a player whose account is deleted, so the id names an existing player.
 */
async function entryPlayer(entry: BoardEntry, ctx: Context, info: GraphQLResolveInfo): Promise<PublicProfile> {
  if (selectsOnlyId(info)) return { id: entry.playerId } as PublicProfile;
  const profile = await ctx.loaders.player.load(entry.playerId);
  if (!profile) throw new Error(`player ${entry.playerId} on a leaderboard does not exist`);
  return profile;
}

const LeaderboardEntryRef = builder.objectRef<BoardEntry>('LeaderboardEntry').implement({
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: '1 is the best.' }),
    score: t.exposeInt('score'),
    player: t.field({ type: PlayerRef, resolve: (entry, _args, ctx, info) => entryPlayer(entry, ctx, info) as never }),
  }),
});

const LeaderboardRef = builder.objectRef<Board>('Leaderboard').implement({
  description: 'Players by best score; equal scores rank by who reached the score first.',
  fields: (t) => ({
    period: t.field({ type: LeaderboardPeriodEnum, resolve: (board) => board.period }),
    date: t.exposeString('date', { nullable: true }),
    size: t.int({ resolve: (board, _args, ctx) => boardSize(ctx, board) }),
    top: t.field({
      type: [LeaderboardEntryRef],
      args: { first: t.arg.int({ defaultValue: 100, description: 'At most 100.' }) },
      resolve: (board, { first }, ctx) => topOfBoard(ctx, board, first),
    }),
    entry: t.field({
      type: LeaderboardEntryRef,
      nullable: true,
      args: { playerId: t.arg.id() },
      resolve: (board, { playerId }, ctx) => (isUuid(String(playerId)) ? boardEntry(ctx, board, String(playerId)) : null),
    }),
    around: t.field({
      type: [LeaderboardEntryRef],
      description: 'The player and up to `radius` entries either side (at most 25); empty when the player is not ranked.',
      args: { playerId: t.arg.id(), radius: t.arg.int({ defaultValue: 5 }) },
      resolve: (board, { playerId, radius }, ctx) => (isUuid(String(playerId)) ? aroundOnBoard(ctx, board, String(playerId), radius) : []),
    }),
  }),
});

const GameStatsRef = builder.objectRef<GameStats>('GameStats').implement({
  description: 'Computed at most every 5 minutes.',
  fields: (t) => ({
    players: t.exposeInt('players'),
    characters: t.exposeInt('characters'),
    resultsToday: t.exposeInt('resultsToday'),
    activePlayers: t.exposeInt('activePlayers', { description: 'Logged in or submitted a result in the last 15 minutes.' }),
  }),
});

builder.queryFields((t) => ({
  mySaves: t.field({
    type: [GameSaveRef],
    authScopes: { player: true },
    resolve: async (_root, _args, ctx) => {
      const playerId = ctx.playerId();
      return (await saveSlots(ctx, playerId)).map((slot) => ({ ...slot, playerId }));
    },
  }),
  myResults: t.drizzleField({
    type: ['gameResults'],
    description: 'Newest first; at most 100.',
    args: { first: t.arg.int({ defaultValue: 20 }) },
    authScopes: { player: true },
    resolve: (query, _root, { first }, ctx) =>
      ctx.db.query.gameResults.findMany(
        query({ where: { playerId: ctx.playerId() }, orderBy: { createdAt: 'desc', id: 'desc' }, limit: checkResultsPage(first) }),
      ),
  }),
  dailyChallenge: t.field({
    type: DailyChallengeRef,
    description: 'The challenge of a UTC date (today when omitted), from 2020-01-01 to tomorrow.',
    args: { date: t.arg.string({ required: false }) },
    resolve: (_root, { date }, ctx) => dailyChallenge(ctx.db, ctx.reference, date ? parseDay(date) : utcDay(new Date())),
  }),
  leaderboard: t.field({
    type: LeaderboardRef,
    description: 'ALL_TIME ignores date; DAILY takes a UTC date (today when omitted).',
    args: { period: t.arg({ type: LeaderboardPeriodEnum }), date: t.arg.string({ required: false }) },
    resolve: (_root, { period, date }) => (period === 'all_time' ? globalBoard() : dailyBoard(date ? parseDay(date) : utcDay(new Date()))),
  }),
  gameStats: t.field({ type: GameStatsRef, resolve: (_root, _args, ctx) => gameStats(ctx) }),
}));

builder.mutationFields((t) => ({
  writeSave: t.field({
    type: SavePayload,
    description: 'Writes a save slot if its version is still expectedVersion (VERSION_CONFLICT otherwise).',
    args: { input: t.arg({ type: WriteSaveInput }) },
    authScopes: { player: true },
    errors: playerErrors(ConflictError),
    resolve: async (_root, { input }, ctx) => {
      const playerId = ctx.playerId();
      const save = await writeSave(ctx.db, playerId, input);
      await announce(ctx, { type: 'savesChanged', playerId });
      return { ...save, playerId };
    },
  }),
  deleteSave: t.field({
    type: DeleteSavePayload,
    args: { slot: t.arg.int() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError),
    resolve: async (_root, { slot }, ctx) => {
      const playerId = ctx.playerId();
      const deleted = await deleteSave(ctx.db, playerId, slot);
      await announce(ctx, { type: 'savesChanged', playerId });
      return deleted;
    },
  }),
  submitGameResult: t.field({
    type: GameResultPayload,
    description: 'Records a finished run: achievements, daily attempt and rankings. Returns the ranks and what it unlocked.',
    args: { input: t.arg({ type: SubmitGameResultInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: async (_root, { input }, ctx) => {
      const playerId = ctx.playerId();
      const submitted = await submitGameResult(ctx, playerId, {
        ...input,
        characterId: input.characterId == null ? null : String(input.characterId),
        dailyChallengeId: input.dailyChallengeId == null ? null : String(input.dailyChallengeId),
      });
      await announce(ctx, { type: 'progressChanged', playerId });
      return submitted;
    },
  }),
}));
