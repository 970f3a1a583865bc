import { describe, expect, it } from 'vitest';
import { profileKey } from '../src/cache/keys.js';
import { createServices } from '../src/context.js';
import { createLogger } from '../src/logger.js';
import { connectRedis } from '../src/redis/client.js';
import { createServer } from '../src/server/yoga.js';
import {
  ACTIVE_GAMES_KEY,
  ASSIGN,
  ENDED_TTL_SECONDS,
  IDLE_TTL_SECONDS,
  channelKey,
  drinksKey,
  gameKey,
  playerDrinksKey,
  playerGamesKey,
} from '../src/tavern/tavern.js';
import {
  ActiveTavernGamesDocument,
  AssignDrinkDocument,
  DrinkStatsDocument,
  EndTavernGameDocument,
  JoinTavernGameDocument,
  StartTavernGameDocument,
  TavernGameByChannelDocument,
  TavernGameDocument,
} from './generated/graphql.js';
import { startInstance, useTestApp } from './support/harness.js';
import { registerPlayer, uniqueName, type SignedInPlayer } from './support/players.js';

const app = useTestApp();

const redis = () => app.redisHandle.redis;

async function start(player: SignedInPlayer, channelId = uniqueName('channel')) {
  const result = (await app.gql(StartTavernGameDocument, { channelId }, { token: player.token })).data!.startTavernGame;
  if (result.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(result));
  return result.game;
}
const join = (gameId: string, player: SignedInPlayer) =>
  app.gql(JoinTavernGameDocument, { gameId }, { token: player.token }).then((r) => r.data!.joinTavernGame);
const assign = (gameId: string, from: SignedInPlayer, toPlayerId: string, reason: string | null = null) =>
  app.gql(AssignDrinkDocument, { input: { gameId, toPlayerId, reason } }, { token: from.token }).then((r) => r.data!.assignDrink);
const end = (gameId: string, player: SignedInPlayer) =>
  app.gql(EndTavernGameDocument, { gameId }, { token: player.token }).then((r) => r.data!.endTavernGame);

async function gameWith(count: number) {
  const players = await Promise.all(Array.from({ length: count }, () => registerPlayer(app)));
  const game = await start(players[0]!);
  for (const p of players.slice(1)) await join(game.id, p);
  return { game, players };
}

describe('keys', () => {
  it('a started game writes game:{id}, channel:{channelId}, active_games and player_games:{playerId}', async () => {
    const host = await registerPlayer(app);
    const game = await start(host, 'tavern-main');
    expect(game).toMatchObject({ channelId: 'tavern-main', status: 'ACTIVE', endedAt: null, participants: [{ id: host.id }] });
    expect(await redis().type(gameKey(game.id))).toBe('string');
    expect(JSON.parse((await redis().get(gameKey(game.id)))!)).toMatchObject({ id: game.id, participants: [host.id], status: 'active' });
    expect(await redis().ttl(gameKey(game.id))).toBeGreaterThan(IDLE_TTL_SECONDS - 5);
    expect(await redis().get(channelKey('tavern-main'))).toBe(game.id);
    expect(await redis().type(ACTIVE_GAMES_KEY)).toBe('set');
    expect(await redis().sismember(ACTIVE_GAMES_KEY, game.id)).toBe(1);
    expect(await redis().sismember(playerGamesKey(host.id), game.id)).toBe(1);
    expect((await app.gql(TavernGameByChannelDocument, { channelId: 'tavern-main' })).data!.tavernGameByChannel).toEqual({
      id: game.id,
      status: 'ACTIVE',
    });
    expect((await app.gql(ActiveTavernGamesDocument, {})).data!.activeTavernGames.map((g) => g.id)).toContain(game.id);
  });

  it('a drink is a sorted-set member (score: ms, JSON with its own id) and bumps both counters', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    const result = await assign(game.id, alice, bob.id, 'rolled a one');
    if (result.__typename !== 'DrinkPayload') throw new Error(JSON.stringify(result));
    expect(await redis().type(drinksKey(game.id))).toBe('zset');
    const [member, score] = await redis().zrange(drinksKey(game.id), 0, -1, 'WITHSCORES');
    expect(JSON.parse(member!)).toEqual({ id: result.drink.id, from: alice.id, to: bob.id, reason: 'rolled a one', at: Number(score) });
    expect(new Date(result.drink.at).getTime()).toBe(Number(score));
    expect(await redis().hgetall(playerDrinksKey(alice.id))).toEqual({ assigned: '1' });
    expect(await redis().hgetall(playerDrinksKey(bob.id))).toEqual({ received: '1' });
    await assign(game.id, bob, alice.id);
    await assign(game.id, bob, alice.id);
    const stats = await app.gql(DrinkStatsDocument, { id: alice.id });
    expect(stats.data!.player!.drinkStats).toEqual({ assigned: 1, received: 2 });
  });

  it('ending a game leaves active_games, frees the channel, and gives game and ledger a 24 hour TTL', async () => {
    const { game, players } = await gameWith(2);
    await assign(game.id, players[0]!, players[1]!.id);
    const ended = await end(game.id, players[0]!);
    expect(ended).toMatchObject({ game: { status: 'ENDED', endedAt: expect.any(String) } });
    expect(await redis().sismember(ACTIVE_GAMES_KEY, game.id)).toBe(0);
    expect(await redis().exists(channelKey(game.channelId))).toBe(0);
    for (const key of [gameKey(game.id), drinksKey(game.id)]) {
      const ttl = await redis().ttl(key);
      expect(ttl).toBeGreaterThan(ENDED_TTL_SECONDS - 5);
      expect(ttl).toBeLessThanOrEqual(ENDED_TTL_SECONDS);
    }
    // The channel takes a new game.
    const next = await start(players[0]!, game.channelId);
    expect(next.id).not.toBe(game.id);
  });
});

describe('rules', () => {
  it('twenty concurrent starts in one channel produce exactly one game; the others get CONFLICT', async () => {
    const channelId = uniqueName('busy');
    const players = await Promise.all(Array.from({ length: 20 }, () => registerPlayer(app)));
    const results = await Promise.all(
      players.map((p) => app.gql(StartTavernGameDocument, { channelId }, { token: p.token }).then((r) => r.data!.startTavernGame)),
    );
    const started = results.filter((r) => r.__typename === 'TavernGamePayload');
    expect(started).toHaveLength(1);
    for (const r of results.filter((r) => r.__typename !== 'TavernGamePayload')) expect(r).toMatchObject({ code: 'CONFLICT' });
    const winner = started[0]!.__typename === 'TavernGamePayload' ? started[0]!.game.id : '';
    expect(await redis().get(channelKey(channelId))).toBe(winner);
    const games = await redis().keys('game:*');
    const inChannel = [];
    for (const key of games) {
      const value = await redis()
        .get(key)
        .catch(() => null);
      if (value?.includes(`"channelId":"${channelId}"`)) inChannel.push(key);
    }
    expect(inChannel).toEqual([gameKey(winner)]);
  });

  it('only participants assign drinks, and only to other participants', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    const outsider = await registerPlayer(app);
    expect(await assign(game.id, outsider, bob.id)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await assign(game.id, alice, outsider.id)).toMatchObject({ code: 'VALIDATION', field: 'toPlayerId' });
    expect(await assign(game.id, alice, alice.id)).toMatchObject({ code: 'VALIDATION', field: 'toPlayerId' });
    expect(await end(game.id, outsider)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await redis().exists(drinksKey(game.id))).toBe(0);
    expect(await assign('00000000-0000-4000-8000-000000000000', alice, bob.id)).toMatchObject({ code: 'NOT_FOUND' });
    const noSession = await app.gql(AssignDrinkDocument, { input: { gameId: game.id, toPlayerId: bob.id } });
    expect(noSession.data!.assignDrink).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('an ended game is read-only', async () => {
    const { game, players } = await gameWith(2);
    await end(game.id, players[0]!);
    const latecomer = await registerPlayer(app);
    expect(await assign(game.id, players[0]!, players[1]!.id)).toMatchObject({ code: 'CONFLICT' });
    expect(await join(game.id, latecomer)).toMatchObject({ code: 'CONFLICT' });
    expect(await end(game.id, players[1]!)).toMatchObject({ code: 'CONFLICT' });
    expect(await redis().exists(drinksKey(game.id))).toBe(0);
    const read = await app.gql(TavernGameDocument, { id: game.id });
    expect(read.data!.tavernGame).toMatchObject({ status: 'ENDED', participants: [{ id: players[0]!.id }, { id: players[1]!.id }] });
  });

  it('a bad channel id is VALIDATION', async () => {
    const host = await registerPlayer(app);
    const result = await app.gql(StartTavernGameDocument, { channelId: 'has spaces' }, { token: host.token });
    expect(result.data!.startTavernGame).toMatchObject({ code: 'VALIDATION', field: 'channelId' });
  });
});

describe('a drink checks the game as this instance saw it last, and the script compares', () => {
  it('a drink to a player who joined since this instance last wrote a drink is accepted', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    expect(await assign(game.id, alice, bob.id)).toMatchObject({ __typename: 'DrinkPayload' });
    const carol = await registerPlayer(app);
    await join(game.id, carol);
    expect(await assign(game.id, alice, carol.id)).toMatchObject({ __typename: 'DrinkPayload', drink: { to: { id: carol.id } } });
    expect(await assign(game.id, carol, alice.id)).toMatchObject({ __typename: 'DrinkPayload' });
    expect(await redis().zcard(drinksKey(game.id))).toBe(3);
    expect(await redis().hget(playerDrinksKey(carol.id), 'received')).toBe('1');
  });

  it('a drink in a game ended since is CONFLICT, and in a game gone since NOT_FOUND; neither writes', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    expect(await assign(game.id, alice, bob.id)).toMatchObject({ __typename: 'DrinkPayload' });
    await end(game.id, alice);
    expect(await assign(game.id, alice, bob.id)).toMatchObject({ code: 'CONFLICT' });
    expect(await redis().zcard(drinksKey(game.id))).toBe(1);

    const other = await gameWith(2);
    const [carol, dave] = other.players as [SignedInPlayer, SignedInPlayer];
    expect(await assign(other.game.id, carol, dave.id)).toMatchObject({ __typename: 'DrinkPayload' });
    await redis().del(gameKey(other.game.id));
    expect(await assign(other.game.id, carol, dave.id)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await redis().zcard(drinksKey(other.game.id))).toBe(1);
    expect(await redis().hget(playerDrinksKey(carol.id), 'assigned')).toBe('1');
  });

  it('a drink runs its script by SHA1, and sends its text again when Redis has lost it (SCRIPT FLUSH)', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    expect(await assign(game.id, alice, bob.id)).toMatchObject({ __typename: 'DrinkPayload' });
    expect(await redis().script('EXISTS', ASSIGN.sha)).toEqual([1]);
    await redis().script('FLUSH');
    expect(await assign(game.id, alice, bob.id)).toMatchObject({ __typename: 'DrinkPayload' });
    expect(await redis().script('EXISTS', ASSIGN.sha)).toEqual([1]);
    expect(await redis().zcard(drinksKey(game.id))).toBe(2);
  });

  it('drinks sent at once from two instances, with joins between them, are each recorded once', async () => {
    const second = await startInstance(app.databaseUrl, app.redisUrl);
    try {
      const { game, players } = await gameWith(2);
      const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
      const late = await Promise.all([registerPlayer(app), registerPlayer(app)]);
      const drinkOn = (instance: typeof app, n: number) =>
        instance
          .gql(AssignDrinkDocument, { input: { gameId: game.id, toPlayerId: bob.id, reason: `#${n}` } }, { token: alice.token })
          .then((r) => r.data!.assignDrink);
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, (_, n) => drinkOn(n % 2 === 0 ? app : second, n)),
        join(game.id, late[0]!),
        second.gql(JoinTavernGameDocument, { gameId: game.id }, { token: late[1]!.token }).then((r) => r.data!.joinTavernGame),
        ...Array.from({ length: 10 }, (_, n) => drinkOn(n % 2 === 0 ? second : app, 10 + n)),
      ]);
      expect(answers.filter((a) => a.__typename === 'DrinkPayload')).toHaveLength(20);
      expect(answers.filter((a) => a.__typename === 'TavernGamePayload')).toHaveLength(2);
      const reasons = (await redis().zrange(drinksKey(game.id), 0, -1)).map((member) => JSON.parse(member).reason).sort();
      expect(reasons).toEqual(Array.from({ length: 20 }, (_, n) => `#${n}`).sort());
      expect(await redis().hget(playerDrinksKey(alice.id), 'assigned')).toBe('20');
      expect(JSON.parse((await redis().get(gameKey(game.id)))!).participants).toHaveLength(4);
    } finally {
      await second.close();
    }
  });
});

describe('the ledger', () => {
  it('answers time ranges, oldest first', async () => {
    const { game, players } = await gameWith(2);
    const [alice, bob] = players as [SignedInPlayer, SignedInPlayer];
    const times: string[] = [];
    for (const reason of ['first', 'second', 'third']) {
      const result = await assign(game.id, alice, bob.id, reason);
      if (result.__typename === 'DrinkPayload') times.push(result.drink.at);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const reasons = async (since?: string, until?: string) =>
      (await app.gql(TavernGameDocument, { id: game.id, since, until })).data!.tavernGame!.drinks.map((d) => d.reason);
    expect(await reasons()).toEqual(['first', 'second', 'third']);
    expect(await reasons(times[1])).toEqual(['second', 'third']);
    expect(await reasons(undefined, times[1])).toEqual(['first', 'second']);
    expect(await reasons(times[1], times[1])).toEqual(['second']);
  });

  it('a 100-record ledger resolves its players in one SQL statement', async () => {
    const { game, players } = await gameWith(4);
    for (let i = 0; i < 100; i++) {
      const from = players[i % 4]!;
      const to = players[(i + 1) % 4]!;
      await assign(game.id, from, to.id, `round ${i}`);
    }
    await redis().del(...players.map((p) => profileKey(p.id)));
    const { response, statements } = await app.gqlCounted(TavernGameDocument, { id: game.id });
    const drinks = response.data!.tavernGame!.drinks;
    expect(drinks).toHaveLength(100);
    expect(drinks[0]).toMatchObject({ from: { username: players[0]!.username }, to: { username: players[1]!.username } });
    expect(statements).toHaveLength(1);
    // With the profiles now cached, the same read needs no SQL.
    expect((await app.gqlCounted(TavernGameDocument, { id: game.id })).statements).toEqual([]);
  });

  it('an unreadable record is skipped and logged, never a 500', async () => {
    const { game, players } = await gameWith(2);
    await assign(game.id, players[0]!, players[1]!.id, 'readable');
    await redis().zadd(drinksKey(game.id), Date.now(), '{broken');
    app.logLines.length = 0;
    const read = await app.gql(TavernGameDocument, { id: game.id });
    expect(read.errors).toBeUndefined();
    expect(read.data!.tavernGame!.drinks.map((d) => d.reason)).toEqual(['readable']);
    expect(app.logLines.join('')).toContain('unreadable tavern record');
  });
});

describe('Redis down', () => {
  it('tavern operations answer SERVICE_UNAVAILABLE', async () => {
    const log = createLogger('silent');
    const deadRedis = await connectRedis('redis://127.0.0.1:1', log);
    const yoga = createServer(createServices(app.database.db, deadRedis.redis, log), { probes: {} });
    const call = async (query: string) =>
      (
        await yoga.fetch('http://guildhall.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        })
      ).json();
    const active = await call('{ activeTavernGames { id } }');
    expect(active.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    const byChannel = await call('{ tavernGameByChannel(channelId: "x") { id } }');
    expect(byChannel.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    await deadRedis.close();
  });
});
