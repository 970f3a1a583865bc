import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INDEX_SLACK_SECONDS, playerSessionsKey, SESSION_TTL_SECONDS, sessionKey } from '../src/accounts/sessions.js';
import { collectStatements } from '../src/db/statement-log.js';
import { GAME_LIMITS } from '../src/limits.js';
import { createServer, type GuildhallYoga } from '../src/server/yoga.js';
import {
  ACTIVE_GAMES_KEY,
  channelKey,
  drinksKey,
  gameKey,
  IDLE_TTL_SECONDS,
  playerDrinksKey,
  playerGamesKey,
} from '../src/tavern/tavern.js';
import {
  ActiveTavernGamesPageDocument,
  AssignDrinkDocument,
  BoundedAddInventoryItemsDocument,
  BoundedBondEssenceDocument,
  BoundedCreateDraftDocument,
  BoundedLoginDocument,
  BoundedStartTavernGameDocument,
  BoundedTavernGameByChannelDocument,
  BoundedUpdateCharacterStateDocument,
  BoundedUpdateQuestProgressDocument,
  ChangePasswordDocument,
  CreateCharacterLimitDocument,
  DeleteAccountDocument,
  EndTavernGameDocument,
  FinalizeDraftLimitDocument,
  JoinTavernGameDocument,
  MyTavernGamesDocument,
  StartQuestDocument,
  TavernLedgerDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, type SignedInPlayer, uniqueCharacterName, uniqueName } from './support/players.js';

let app: TestApp;
/** The same services behind one trusted proxy, so each test can log in from its own address. */
let proxied: GuildhallYoga;
beforeAll(async () => {
  app = await startTestApp();
  proxied = createServer(app.services, {
    probes: {},
    exposure: { introspection: true, corsOrigins: '*', metrics: 'open', trustProxy: 1 },
  });
});
afterAll(async () => {
  await proxied.dispose();
  await app.close();
});

const redis = () => app.redisHandle.redis;
const viewerOf = async (token: string) => (await app.gql(ViewerDocument, {}, { token })).data?.viewer ?? null;

async function loginVia(yoga: GuildhallYoga, input: { login: string; password: string }, address?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (address) headers['x-forwarded-for'] = `198.51.100.1, ${address}`;
  const response = await yoga.fetch('http://guildhall.test/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({
      query: 'mutation ($input: LoginInput!) { login(input: $input) { __typename ... on AuthPayload { token } } }',
      variables: { input },
    }),
  });
  return (await response.json()).data.login as { __typename: string; token?: string };
}

const address = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}-${uniqueName('a')}`;

describe('login limits', () => {
  it('of 40 concurrent wrong passwords for one account, at most 5 reach the password check; the rest are RATE_LIMITED', async () => {
    const player = await registerPlayer(app);
    const from = address();
    const results = await Promise.all(
      Array.from({ length: 40 }, () => loginVia(proxied, { login: player.username, password: 'wrong password' }, from)),
    );
    const checked = results.filter((r) => r.__typename === 'InvalidCredentialsError');
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(checked.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.__typename === 'RateLimitedError')).toHaveLength(40 - checked.length);
    // Even the right password waits for the window now.
    expect((await loginVia(proxied, { login: player.username, password: player.password }, address())).__typename).toBe('RateLimitedError');
  });

  it('a correct password takes its attempt back: five good logins in a row all succeed', async () => {
    const player = await registerPlayer(app);
    const from = address();
    for (let i = 0; i < 6; i++) {
      expect((await loginVia(proxied, { login: player.username, password: player.password }, from)).__typename).toBe('AuthPayload');
    }
  });

  it('behind a trusted proxy the address comes from X-Forwarded-For: one address at its limit does not lock out another', async () => {
    const blocked = address();
    for (let i = 0; i < 20; i++) await loginVia(proxied, { login: uniqueName('nobody'), password: 'wrong password' }, blocked);
    expect((await loginVia(proxied, { login: uniqueName('nobody'), password: 'wrong password' }, blocked)).__typename).toBe(
      'RateLimitedError',
    );
    expect(await redis().get(`ratelimit:login:address:${blocked}`)).toBe('20');
    const player = await registerPlayer(app);
    expect((await loginVia(proxied, { login: player.username, password: player.password }, address())).__typename).toBe('AuthPayload');
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    const player = await registerPlayer(app);
    await loginVia(app.yoga, { login: player.username, password: player.password }, '192.0.2.77');
    expect(await redis().exists('ratelimit:login:address:192.0.2.77')).toBe(0);
  });
});

async function signInAgain(player: SignedInPlayer): Promise<string> {
  const result = await loginVia(proxied, { login: player.username, password: player.password }, address());
  return result.token!;
}

describe('sessions', () => {
  it('are indexed per player in player_sessions:{playerId}, which expires five minutes after the newest session', async () => {
    const player = await registerPlayer(app);
    const second = await signInAgain(player);
    expect((await redis().zrange(playerSessionsKey(player.id), 0, -1)).sort()).toEqual([player.token, second].sort());
    const ttl = await redis().ttl(playerSessionsKey(player.id));
    expect(ttl).toBeGreaterThan(SESSION_TTL_SECONDS + INDEX_SLACK_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(SESSION_TTL_SECONDS + INDEX_SLACK_SECONDS);
  });

  it("a signed-in request renews its session for another hour; its index entry always outlives it, rewritten only once its five minutes' margin is used up", async () => {
    const player = await registerPlayer(app);
    const index = playerSessionsKey(player.id);
    const score = async () => Number(await redis().zscore(index, player.token));
    /** When the session now expires, by the clock the server reads. */
    const sessionEnds = async () => Date.now() + (await redis().pttl(sessionKey(player.token)));
    const written = await score();
    expect(written).toBeGreaterThanOrEqual((await sessionEnds()) + INDEX_SLACK_SECONDS * 1000 - 5_000);
    // Within the margin: the session is renewed, the index entry is not rewritten, and still outlives it.
    expect(await viewerOf(player.token)).toMatchObject({ id: player.id });
    expect(await redis().ttl(sessionKey(player.token))).toBeGreaterThan(SESSION_TTL_SECONDS - 10);
    expect(await score()).toBe(written);
    expect(await score()).toBeGreaterThan(await sessionEnds());
    // Six minutes later by the server's clocks (wall and monotonic), the next request rewrites it, and the index lives as long.
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    vi.advanceTimersByTime(6 * 60 * 1000);
    try {
      expect(await viewerOf(player.token)).toMatchObject({ id: player.id });
      expect(await score()).toBeGreaterThanOrEqual(Date.now() + (SESSION_TTL_SECONDS + INDEX_SLACK_SECONDS) * 1000 - 5_000);
      expect(await redis().ttl(index)).toBeGreaterThan(SESSION_TTL_SECONDS + INDEX_SLACK_SECONDS - 10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('deleting an account ends every session: the other tokens read as anonymous and cannot write', async () => {
    const player = await registerPlayer(app);
    const tokens = [player.token, await signInAgain(player), await signInAgain(player)];
    const deleted = await app.gql(DeleteAccountDocument, { input: { password: player.password } }, { token: player.token });
    expect(deleted.data!.deleteAccount).toEqual({ __typename: 'DeleteAccountPayload', playerId: player.id });
    for (const token of tokens) expect(await redis().exists(sessionKey(token))).toBe(0);
    expect(await redis().exists(playerSessionsKey(player.id))).toBe(0);
    const other = tokens[1]!;
    expect(await viewerOf(other)).toBeNull();
    const created = await app.gql(CreateCharacterLimitDocument, { input: { name: uniqueCharacterName('Ghost') } }, { token: other });
    expect(created.data!.createCharacter).toMatchObject({ code: 'UNAUTHENTICATED' });
    const game = await app.gql(BoundedStartTavernGameDocument, { channelId: uniqueName('ghost') }, { token: other });
    expect(game.data!.startTavernGame).toMatchObject({ code: 'UNAUTHENTICATED' });
    const draft = await app.gql(BoundedCreateDraftDocument, { input: { step: 1 } }, { token: other });
    expect(draft.data!.createDraft).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a write by a player that no longer exists is UNAUTHENTICATED, never a masked error', async () => {
    const player = await registerPlayer(app);
    await app.gql(DeleteAccountDocument, { input: { password: player.password } }, { token: player.token });
    // A session that outlived its account (e.g. resolved just before the deletion committed).
    await redis().set(sessionKey(player.token), player.id, 'EX', 60);
    const created = await app.gql(CreateCharacterLimitDocument, { input: { name: uniqueCharacterName('Ghost') } }, { token: player.token });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createCharacter).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
    const changed = await app.gql(
      ChangePasswordDocument,
      { input: { currentPassword: player.password, newPassword: 'another secret' } },
      { token: player.token },
    );
    expect(changed.data!.changePassword).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('changePassword checks the current password, then ends every other session and keeps this one', async () => {
    const player = await registerPlayer(app);
    const others = [await signInAgain(player), await signInAgain(player)];
    const wrong = await app.gql(
      ChangePasswordDocument,
      { input: { currentPassword: 'not it at all', newPassword: 'new secret 123' } },
      { token: player.token },
    );
    expect(wrong.data!.changePassword).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const short = await app.gql(
      ChangePasswordDocument,
      { input: { currentPassword: player.password, newPassword: 'short' } },
      { token: player.token },
    );
    expect(short.data!.changePassword).toMatchObject({ code: 'VALIDATION' });

    const changed = await app.gql(
      ChangePasswordDocument,
      { input: { currentPassword: player.password, newPassword: 'new secret 123' } },
      { token: player.token },
    );
    expect(changed.data!.changePassword).toEqual({
      __typename: 'ChangePasswordPayload',
      player: { id: player.id, username: player.username },
    });
    expect(await viewerOf(player.token)).toMatchObject({ id: player.id });
    for (const token of others) expect(await viewerOf(token)).toBeNull();
    expect(await redis().zrange(playerSessionsKey(player.id), 0, -1)).toEqual([player.token]);
    expect((await loginVia(proxied, { login: player.username, password: player.password }, address())).__typename).toBe(
      'InvalidCredentialsError',
    );
    expect((await loginVia(proxied, { login: player.username, password: 'new secret 123' }, address())).__typename).toBe('AuthPayload');
  });

  it('password checks of changePassword count as login attempts: the 6th wrong one is RATE_LIMITED', async () => {
    const player = await registerPlayer(app);
    const attempt = async () =>
      (
        await app.gql(
          ChangePasswordDocument,
          { input: { currentPassword: 'a wrong guess', newPassword: 'new secret 123' } },
          { token: player.token },
        )
      ).data!.changePassword;
    for (let i = 0; i < 5; i++) expect(await attempt()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await attempt()).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('ten characters per player', () => {
  it('the 11th character is refused with LIMIT_REACHED and limit 10, even when fifteen arrive at once', async () => {
    const player = await registerPlayer(app);
    const results = await Promise.all(
      Array.from({ length: 15 }, () =>
        app.gql(CreateCharacterLimitDocument, { input: { name: uniqueCharacterName('Many') } }, { token: player.token }),
      ),
    );
    const created = results.filter((r) => r.data!.createCharacter.__typename === 'CreateCharacterPayload');
    expect(created).toHaveLength(GAME_LIMITS.charactersPerPlayer);
    for (const r of results.filter((r) => r.data!.createCharacter.__typename !== 'CreateCharacterPayload')) {
      expect(r.data!.createCharacter).toMatchObject({ __typename: 'LimitReachedError', code: 'LIMIT_REACHED', limit: 10 });
    }
  });

  it('finalizing a draft into an 11th character is refused with LIMIT_REACHED and keeps the draft', async () => {
    const player = await registerPlayer(app);
    for (let i = 0; i < GAME_LIMITS.charactersPerPlayer; i++) await createCharacterFor(app, player);
    const input = {
      name: uniqueCharacterName('Eleventh'),
      race: 'dwarf',
      class: 'warrior',
      attributes: { power: 12, speed: 8, spirit: 8, recovery: 12 },
      step: 4,
    };
    const draft = (await app.gql(BoundedCreateDraftDocument, { input }, { token: player.token })).data!.createDraft;
    if (draft.__typename !== 'DraftPayload') throw new Error(JSON.stringify(draft));
    const finalized = await app.gql(FinalizeDraftLimitDocument, { id: draft.draft.id }, { token: player.token });
    expect(finalized.data!.finalizeDraft).toEqual({ __typename: 'LimitReachedError', code: 'LIMIT_REACHED', limit: 10 });
    expect(await redis().exists(`draft:${draft.draft.id}`)).toBe(1);
  });
});

describe('bounded inputs', () => {
  let player: SignedInPlayer;
  let characterId: string;
  beforeAll(async () => {
    player = await registerPlayer(app);
    characterId = (await createCharacterFor(app, player)).id;
  });
  const as = () => ({ token: player.token });

  it('addInventoryItems refuses 50 × 10,000 items with VALIDATION before any SQL runs', async () => {
    const items = Array.from({ length: 50 }, () => ({ itemId: 'rusty_shortsword', quantity: 10_000 }));
    const started = performance.now();
    const { response, statements } = await app.gqlCounted(BoundedAddInventoryItemsDocument, { input: { characterId, items } }, as());
    expect(response.data!.addInventoryItems).toMatchObject({ code: 'VALIDATION', field: 'items' });
    expect(statements).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('addInventoryItems refuses more than 50 entries with VALIDATION', async () => {
    const items = Array.from({ length: 51 }, () => ({ itemId: 'rusty_shortsword', quantity: 1 }));
    const result = await app.gql(BoundedAddInventoryItemsDocument, { input: { characterId, items } }, as());
    expect(result.data!.addInventoryItems).toMatchObject({ code: 'VALIDATION', field: 'items' });
  });

  it('a quantity that cannot fit is refused with INVENTORY_FULL without building its stacks', async () => {
    const result = await app.gql(
      BoundedAddInventoryItemsDocument,
      { input: { characterId, items: [{ itemId: 'rusty_shortsword', quantity: 10_000 }] } },
      as(),
    );
    expect(result.data!.addInventoryItems).toMatchObject({ code: 'INVENTORY_FULL' });
  });

  const long = (n: number) => 'x'.repeat(n);
  it.each([
    [
      'login',
      () => app.gql(BoundedLoginDocument, { input: { login: long(256), password: 'whatever1' } }).then((r) => r.data!.login),
      'login',
    ],
    [
      'password',
      () => app.gql(BoundedLoginDocument, { input: { login: 'someone', password: long(201) } }).then((r) => r.data!.login),
      'password',
    ],
    [
      'channelId',
      () => app.gql(BoundedStartTavernGameDocument, { channelId: long(101) }, as()).then((r) => r.data!.startTavernGame),
      'channelId',
    ],
    [
      'essenceType',
      () =>
        app
          .gql(BoundedBondEssenceDocument, { input: { characterId, essenceType: long(51), attribute: 'POWER' } }, as())
          .then((r) => r.data!.bondEssence),
      'essenceType',
    ],
    [
      'itemId',
      () =>
        app
          .gql(BoundedAddInventoryItemsDocument, { input: { characterId, items: [{ itemId: long(101), quantity: 1 }] } }, as())
          .then((r) => r.data!.addInventoryItems),
      'items[0].itemId',
    ],
    ['race', () => app.gql(BoundedCreateDraftDocument, { input: { race: long(101) } }, as()).then((r) => r.data!.createDraft), 'race'],
    ['class', () => app.gql(BoundedCreateDraftDocument, { input: { class: long(101) } }, as()).then((r) => r.data!.createDraft), 'class'],
  ])('a %s over its maximum length is refused with VALIDATION naming the field', async (_label, call, field) => {
    expect(await call()).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
  });

  it('a channelId over its maximum length in tavernGameByChannel is a VALIDATION error', async () => {
    const result = await app.gql(BoundedTavernGameByChannelDocument, { channelId: long(101) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION' });
  });

  it('activeTavernGames(first) is at most 100', async () => {
    const result = await app.gql(ActiveTavernGamesPageDocument, { first: 101 });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION' });
  });

  it.each([
    ['login', { query: BoundedLoginDocument, variables: { input: { login: 'ay\u0000la', password: 'whatever1' } } }, 'input.login'],
    [
      'currentRoomId',
      { query: BoundedUpdateCharacterStateDocument, variables: () => ({ input: { characterId, currentRoomId: 'hall\u0000' } }) },
      'input.currentRoomId',
    ],
    [
      'itemId',
      {
        query: BoundedAddInventoryItemsDocument,
        variables: () => ({ input: { characterId, items: [{ itemId: 'iron\u0000sword', quantity: 1 }] } }),
      },
      'input.items[0].itemId',
    ],
    [
      'essenceType',
      { query: BoundedBondEssenceDocument, variables: () => ({ input: { characterId, essenceType: 'fire\u0000', attribute: 'POWER' } }) },
      'input.essenceType',
    ],
  ])('a NUL in %s is refused with VALIDATION naming the field, before PostgreSQL sees it', async (_label, { query, variables }, field) => {
    const vars = typeof variables === 'function' ? variables() : variables;
    const { result, statements } = await collectStatements(() => app.gql(query as never, vars as never, as()));
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION', field } });
    expect(result.errors?.[0]?.message).not.toMatch(/Unexpected error/);
    expect(statements).toEqual([]);
  });

  it('a NUL inside quest progress JSON is refused with VALIDATION', async () => {
    const started = (await app.gql(StartQuestDocument, { input: { characterId, questId: 'rat_cellar' } }, as())).data!.startQuest;
    if (started.__typename !== 'QuestPayload') throw new Error(JSON.stringify(started));
    const result = await app.gql(
      BoundedUpdateQuestProgressDocument,
      { input: { id: started.quest.id, progress: { note: 'a\u0000b' } } },
      as(),
    );
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION', field: 'input.progress.note' } });
  });
});

describe('tavern rules', () => {
  async function gameOf(count: number) {
    const players = await Promise.all(Array.from({ length: count }, () => registerPlayer(app)));
    const started = (await app.gql(BoundedStartTavernGameDocument, { channelId: uniqueName('table') }, { token: players[0]!.token })).data!
      .startTavernGame;
    if (started.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(started));
    for (const p of players.slice(1)) await app.gql(JoinTavernGameDocument, { gameId: started.game.id }, { token: p.token });
    return { gameId: started.game.id, players };
  }

  it('only the player who started a game may end it; another participant gets FORBIDDEN', async () => {
    const { gameId, players } = await gameOf(2);
    const refused = await app.gql(EndTavernGameDocument, { gameId }, { token: players[1]!.token });
    expect(refused.data!.endTavernGame).toMatchObject({ code: 'FORBIDDEN' });
    const ended = await app.gql(EndTavernGameDocument, { gameId }, { token: players[0]!.token });
    expect(ended.data!.endTavernGame).toMatchObject({ __typename: 'TavernGamePayload' });
  });

  it('an active game and all its keys expire 24 hours after its last activity', async () => {
    const { gameId, players } = await gameOf(2);
    await app.gql(AssignDrinkDocument, { input: { gameId, toPlayerId: players[1]!.id } }, { token: players[0]!.token });
    const channelId = JSON.parse((await redis().get(gameKey(gameId)))!).channelId;
    for (const key of [gameKey(gameId), channelKey(channelId), drinksKey(gameId), ...players.map((p) => playerGamesKey(p.id))]) {
      const ttl = await redis().ttl(key);
      expect(ttl, key).toBeGreaterThan(IDLE_TTL_SECONDS - 5);
      expect(ttl, key).toBeLessThanOrEqual(IDLE_TTL_SECONDS);
    }
  });

  it('myTavernGames lists the viewer’s active games from player_games; ending or expiry removes them', async () => {
    const { gameId, players } = await gameOf(2);
    const other = await gameOf(1);
    const mine = async (p: SignedInPlayer) =>
      (await app.gql(MyTavernGamesDocument, {}, { token: p.token })).data!.myTavernGames.map((g) => g.id);
    expect(await mine(players[1]!)).toEqual([gameId]);
    await app.gql(EndTavernGameDocument, { gameId }, { token: players[0]!.token });
    for (const p of players) expect(await redis().sismember(playerGamesKey(p.id), gameId)).toBe(0);
    expect(await mine(players[1]!)).toEqual([]);

    // A game whose keys expired is pruned from the indexes when they are read.
    await redis().del(gameKey(other.gameId));
    expect(await mine(other.players[0]!)).toEqual([]);
    expect(await redis().sismember(playerGamesKey(other.players[0]!.id), other.gameId)).toBe(0);
    await app.gql(ActiveTavernGamesPageDocument, { first: 100 });
    expect(await redis().sismember(ACTIVE_GAMES_KEY, other.gameId)).toBe(0);
  });

  it('a ledger naming a deleted player still reads: that player is null, and their keys are gone', async () => {
    const { gameId, players } = await gameOf(2);
    const [host, guest] = players as [SignedInPlayer, SignedInPlayer];
    await app.gql(AssignDrinkDocument, { input: { gameId, toPlayerId: guest.id } }, { token: host.token });
    await app.gql(DeleteAccountDocument, { input: { password: guest.password } }, { token: guest.token });
    const ledger = await app.gql(TavernLedgerDocument, { id: gameId });
    expect(ledger.errors).toBeUndefined();
    expect(ledger.data!.tavernGame!.drinks).toEqual([{ id: expect.any(String), from: { username: host.username }, to: null }]);
    expect(ledger.data!.tavernGame!.participants).toEqual([{ id: host.id }]);
    expect(await redis().exists(playerDrinksKey(guest.id), playerGamesKey(guest.id))).toBe(0);
  });
});

describe('Lua scripts', () => {
  it('every key a script touches is passed in KEYS', () => {
    const files = ['src/tavern/tavern.ts', 'src/drafts/drafts.ts', 'src/accounts/sessions.ts', 'src/accounts/login-limiter.ts'];
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const calls = [...source.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)];
      expect(calls.length, file).toBeGreaterThan(0);
      for (const [call, command, firstKey] of calls) {
        // PUBLISH names a pub/sub channel, which is not a key.
        if (command === 'PUBLISH') continue;
        // A key from KEYS, or several (`unpack(KEYS, 6)`).
        expect(firstKey!.trim(), `${file}: ${call}`).toMatch(/^(KEYS\[[\w\s-]+\]|unpack\(KEYS)$/);
      }
    }
  });
});
