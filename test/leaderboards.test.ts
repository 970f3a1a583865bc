import { sql } from 'drizzle-orm';
import { getNamedType, type GraphQLInputType, isInputObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { dailyBoardKey, GLOBAL_BOARD_KEY } from '../src/cache/keys.js';
import { schema } from '../src/graphql/schema.js';
import { dailyChallenge } from '../src/progress/daily-challenges.js';
import { type Board, dailyBoard, fromPostgres, globalBoard } from '../src/progress/leaderboards.js';
import {
  DailyChallengeDocument,
  DeleteAccountDocument,
  LeaderboardDocument,
  type LeaderboardPeriod,
  LeaderboardTopDocument,
  SubmitGameResultDocument,
  type SubmitGameResultInput,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { registerPlayer, type SignedInPlayer } from './support/players.js';

const app = useTestApp();

const redis = () => app.redisHandle.redis;
const db = () => app.services.db;
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

async function submit(player: SignedInPlayer, input: Partial<SubmitGameResultInput>) {
  const { data } = await app.gql(
    SubmitGameResultDocument,
    { input: { score: 0, floorReached: 0, durationSeconds: 60, victory: true, ...input } },
    { token: player.token },
  );
  const result = data!.submitGameResult;
  if (result.__typename !== 'GameResultPayload') throw new Error(JSON.stringify(result));
  return result;
}

async function board(period: LeaderboardPeriod, playerId: string, options: { date?: string; first?: number; radius?: number } = {}) {
  const { data, errors } = await app.gql(LeaderboardDocument, { period, playerId, ...options });
  if (errors) throw new Error(JSON.stringify(errors));
  return data!.leaderboard;
}
const plain = (entries: Array<{ rank: number; score: number; player: { id: string } }>) =>
  entries.map((e) => ({ rank: e.rank, score: e.score, playerId: e.player.id }));

/** Players inserted set-based, with best scores full of exact ties (same score, same second). */
async function tiedPlayers(count: number): Promise<string[]> {
  const rows = await db().execute<{ id: string }>(sql`
    with made as (
      insert into players (username, email, password_hash)
      select 'tie_' || md5(random()::text) , 'tie_' || md5(random()::text) || '@t.test', 'x' from generate_series(1, ${count})
      returning id)
    insert into player_best_scores (player_id, best_score, reached_at)
    select id, (row_number() over ()) % 4 * 10, timestamptz '2026-01-01 00:00:00+00' + ((row_number() over ()) % 3) * interval '1 second'
    from made returning player_id as id`);
  return (Array.isArray(rows) ? rows : (rows as unknown as { rows: Array<{ id: string }> }).rows).map((r) => r.id);
}

/** Every read the API offers, from Redis through GraphQL, beside the same reads from PostgreSQL. */
async function compareWithPostgres(b: Board, playerIds: string[]) {
  const period = b.period === 'all_time' ? 'ALL_TIME' : 'DAILY';
  const top = (await app.gql(LeaderboardTopDocument, { period, date: b.date, first: 100 })).data!.leaderboard;
  expect(top.size).toBe(await fromPostgres.size(db(), b));
  expect(top.top.map((e) => ({ rank: e.rank, score: e.score, playerId: e.player.id }))).toEqual(await fromPostgres.top(db(), b, 100));
  for (const id of playerIds) {
    const view = await board(period, id, { date: b.date ?? undefined, first: 0, radius: 3 });
    expect(view.entry && plain([view.entry])[0]).toEqual(await fromPostgres.entry(db(), b, id));
    expect(plain(view.around)).toEqual(await fromPostgres.around(db(), b, id, 3));
  }
}

describe('keys', () => {
  it('scores go to leaderboard:global (no TTL) and leaderboard:daily:{date} (expiring 7 days after its day), one member per player', async () => {
    const player = await registerPlayer(app);
    const challenge = (await app.gql(DailyChallengeDocument, {})).data!.dailyChallenge;
    const result = await submit(player, { score: 4200, dailyChallengeId: challenge.id });
    await submit(player, { score: 10 });
    expect(result.allTimeRank).toBeGreaterThanOrEqual(1);
    expect(result.dailyRank).toBe(1);
    expect(await redis().type(GLOBAL_BOARD_KEY)).toBe('zset');
    expect(await redis().ttl(GLOBAL_BOARD_KEY)).toBe(-1);
    expect(Math.floor(Number(await redis().zscore(GLOBAL_BOARD_KEY, player.id)) / 1e9)).toBe(4200);
    const dayEnd = Date.parse(`${today()}T00:00:00Z`) / 1000 + 8 * 86_400;
    expect(await redis().expiretime(dailyBoardKey(today()))).toBe(dayEnd);
    expect(await redis().zcard(dailyBoardKey(today()))).toBe(1);
  });

  it('a deleted account leaves every board at once', async () => {
    const player = await registerPlayer(app);
    const challenge = (await app.gql(DailyChallengeDocument, {})).data!.dailyChallenge;
    await submit(player, { score: 123, dailyChallengeId: challenge.id });
    expect(await redis().zscore(GLOBAL_BOARD_KEY, player.id)).not.toBeNull();
    await app.gql(DeleteAccountDocument, { input: { password: player.password } }, { token: player.token });
    expect(await redis().zscore(GLOBAL_BOARD_KEY, player.id)).toBeNull();
    expect(await redis().zscore(dailyBoardKey(today()), player.id)).toBeNull();
  });

  it('no mutation but submitGameResult can set a score', () => {
    const takesScore = (type: GraphQLInputType): boolean => {
      const named = getNamedType(type);
      return isInputObjectType(named) && Object.values(named.getFields()).some((f) => f.name === 'score' || takesScore(f.type));
    };
    const mutations = Object.values(schema.getMutationType()!.getFields());
    const scoring = mutations.filter((field) => field.args.some((arg) => arg.name === 'score' || takesScore(arg.type)));
    expect(scoring.map((field) => field.name)).toEqual(['submitGameResult']);
  });
});

describe('ranking', () => {
  it('equal scores rank by who reached the score first, and only a better score moves a player', async () => {
    const [first, second, third] = [await registerPlayer(app), await registerPlayer(app), await registerPlayer(app)];
    await submit(first, { score: 8_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await submit(second, { score: 8_000_000 });
    await submit(third, { score: 8_000_001 });
    await submit(first, { score: 8_000_000 }); // reaching it again does not make it later
    const view = await board('ALL_TIME', first.id, { first: 3 });
    expect(plain(view.top)).toEqual([
      { rank: 1, score: 8_000_001, playerId: third.id },
      { rank: 2, score: 8_000_000, playerId: first.id },
      { rank: 3, score: 8_000_000, playerId: second.id },
    ]);
    expect(plain(view.top)).toEqual(await fromPostgres.top(db(), globalBoard(), 3));
  });

  it('Redis and PostgreSQL give identical ranks, ties and all; a flushed Redis is rebuilt on the next read with the same ranks', async () => {
    const ids = await tiedPlayers(150);
    await redis().del(GLOBAL_BOARD_KEY);
    const sample = [...ids.slice(0, 8), ...ids.slice(-8)];
    await compareWithPostgres(globalBoard(), sample);
    const before = await board('ALL_TIME', sample[0]!, { first: 100, radius: 25 });

    // FLUSHDB, not FLUSHALL: the other test files share this Redis server, each on its own db.
    await redis().flushdb();
    expect(await redis().exists(GLOBAL_BOARD_KEY)).toBe(0);
    const after = await board('ALL_TIME', sample[0]!, { first: 100, radius: 25 });
    expect(after).toEqual(before);
    expect(await redis().zcard(GLOBAL_BOARD_KEY)).toBe(after.size);
    await compareWithPostgres(globalBoard(), sample);
  });

  it('a page of 100 entries costs no SQL for player ids, and at most one statement for their profiles', async () => {
    await tiedPlayers(120);
    await redis().del(GLOBAL_BOARD_KEY);
    await app.gql(LeaderboardTopDocument, { period: 'ALL_TIME', first: 1 }); // rebuilds the board
    const ids = await app.gqlCounted(LeaderboardTopDocument, { period: 'ALL_TIME', first: 100 });
    expect(ids.response.data!.leaderboard.top).toHaveLength(100);
    expect(ids.statements).toEqual([]);
    const someone = ids.response.data!.leaderboard.top[50]!.player.id;
    const cold = await app.gqlCounted(LeaderboardDocument, { period: 'ALL_TIME', first: 100, playerId: someone, radius: 25 });
    expect(cold.response.data!.leaderboard.top.every((e) => e.player.username.length > 0)).toBe(true);
    expect(cold.statements).toHaveLength(1);
    const warm = await app.gqlCounted(LeaderboardDocument, { period: 'ALL_TIME', first: 100, playerId: someone, radius: 25 });
    expect(warm.statements).toEqual([]);
  });

  it('around is correct at both edges, and empty for a player with no score', async () => {
    const ids = await tiedPlayers(30);
    await redis().del(GLOBAL_BOARD_KEY);
    const all = await fromPostgres.top(db(), globalBoard(), 100);
    const size = (await board('ALL_TIME', ids[0]!, { first: 0 })).size;
    const leader = all[0]!.playerId;
    const lastId = (await db().execute<{ id: string }>(sql`
      select player_id as id from player_best_scores order by best_score asc, reached_at desc, player_id asc limit 1`)) as unknown;
    const lastPlayer = (Array.isArray(lastId) ? lastId : (lastId as { rows: Array<{ id: string }> }).rows)[0]!.id;

    const top = await board('ALL_TIME', leader, { first: 0, radius: 5 });
    expect(top.around.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(top.entry).toMatchObject({ rank: 1 });
    const bottom = await board('ALL_TIME', lastPlayer, { first: 0, radius: 5 });
    expect(bottom.around.map((e) => e.rank)).toEqual([size - 5, size - 4, size - 3, size - 2, size - 1, size]);
    expect(bottom.around.at(-1)!.player.id).toBe(lastPlayer);
    expect((await board('ALL_TIME', leader, { first: 0, radius: 0 })).around.map((e) => e.player.id)).toEqual([leader]);
    const nobody = await registerPlayer(app);
    expect(await board('ALL_TIME', nobody.id, { first: 0 })).toMatchObject({ entry: null, around: [] });
  });

  it('concurrent results from many players all land on the board with the ranks PostgreSQL gives', async () => {
    const players = await Promise.all(Array.from({ length: 20 }, () => registerPlayer(app)));
    const results = await Promise.all(players.map((p, i) => submit(p, { score: 5_000_000 + (i % 5) })));
    await compareWithPostgres(
      globalBoard(),
      players.slice(0, 5).map((p) => p.id),
    );
    for (const [i, p] of players.entries()) {
      const entry = await fromPostgres.entry(db(), globalBoard(), p.id);
      // Later results can only push a player down: the rank answered then is at most the rank now.
      expect(results[i]!.allTimeRank).toBeLessThanOrEqual(entry!.rank);
    }
  });
});

describe('daily boards', () => {
  it("only results submitted with that day's challenge count on it; a player's best attempt counts", async () => {
    const [alice, bob] = [await registerPlayer(app), await registerPlayer(app)];
    const date = daysAgo(1);
    const challenge = await dailyChallenge(db(), app.services.reference, date);
    expect((await submit(alice, { score: 300 })).dailyRank).toBeNull();
    expect((await submit(alice, { score: 100, dailyChallengeId: challenge.id })).dailyRank).toBe(1);
    expect((await submit(bob, { score: 200, dailyChallengeId: challenge.id })).dailyRank).toBe(1);
    expect((await submit(alice, { score: 250, dailyChallengeId: challenge.id })).dailyRank).toBe(1);
    expect((await submit(alice, { score: 50, dailyChallengeId: challenge.id })).dailyRank).toBe(1);
    const view = await board('DAILY', bob.id, { date });
    expect(view).toMatchObject({ period: 'DAILY', date, size: 2 });
    expect(plain(view.top)).toEqual([
      { rank: 1, score: 250, playerId: alice.id },
      { rank: 2, score: 200, playerId: bob.id },
    ]);
    const attempts = await db().execute<{ attempts: number }>(
      sql`select attempts from daily_challenge_results where challenge_id = ${challenge.id} and player_id = ${alice.id}`,
    );
    expect((Array.isArray(attempts) ? attempts : (attempts as unknown as { rows: unknown[] }).rows)[0]).toEqual({ attempts: 3 });
    await redis().del(dailyBoardKey(date));
    await compareWithPostgres(dailyBoard(date), [alice.id, bob.id]);
    expect(await redis().exists(dailyBoardKey(date))).toBe(1);
  });

  it('a day older than 7 days is answered from PostgreSQL and never written to Redis', async () => {
    const player = await registerPlayer(app);
    const date = daysAgo(9);
    const challenge = await dailyChallenge(db(), app.services.reference, date);
    expect((await submit(player, { score: 70, dailyChallengeId: challenge.id })).dailyRank).toBe(1);
    const view = await board('DAILY', player.id, { date });
    expect(view).toMatchObject({ size: 1, entry: { rank: 1, score: 70 }, top: [{ rank: 1, score: 70 }] });
    expect(await redis().exists(dailyBoardKey(date))).toBe(0);
  });

  it('top over 100, a radius over 25, a malformed date and a date after tomorrow are VALIDATION naming the argument', async () => {
    const player = await registerPlayer(app);
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const cases = [
      [{ period: 'ALL_TIME', first: 101 }, 'first'],
      [{ period: 'ALL_TIME', first: 1, radius: 26 }, 'radius'],
      [{ period: 'DAILY', date: '2026-13-01' }, 'date'],
      [{ period: 'DAILY', date: later }, 'date'],
    ] as const;
    for (const [variables, field] of cases) {
      const { errors } = await app.gql(LeaderboardDocument, { playerId: player.id, ...variables });
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field });
    }
  });
});
