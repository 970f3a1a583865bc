import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { achievementsKey, CACHE_EPOCH_KEY, STATS_KEY, savesKey } from '../src/cache/keys.js';
import { publishGameVersion } from '../src/invalidation.js';
import { designChallenge } from '../src/progress/daily-challenges.js';
import { dailyChallenges, gameResults, gameSaves, playerAchievements } from '../src/progress/tables.js';
import { achievements } from '../src/reference/tables.js';
import { playerDrinksKey } from '../src/tavern/tavern.js';
import {
  AssignDrinkDocument,
  BondEssenceUnlocksDocument,
  CharacterWithProgressDocument,
  DailyChallengeDocument,
  DeleteSaveDocument,
  GameStatsDocument,
  JoinTavernGameDocument,
  MyResultsDocument,
  MySavesDocument,
  PlayerProgressDocument,
  StartTavernGameDocument,
  SubmitGameResultDocument,
  type SubmitGameResultInput,
  WriteSaveDocument,
  type WriteSaveInput,
} from './generated/graphql.js';
import { startInstance, useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, type SignedInPlayer, uniqueName } from './support/players.js';

const app = useTestApp();

const redis = () => app.redisHandle.redis;
const db = () => app.services.db;

const write = (player: SignedInPlayer, input: WriteSaveInput) =>
  app.gql(WriteSaveDocument, { input }, { token: player.token }).then((r) => r.data!.writeSave);
const submit = (player: SignedInPlayer, input: Partial<SubmitGameResultInput> = {}) =>
  app
    .gql(
      SubmitGameResultDocument,
      { input: { score: 100, floorReached: 1, durationSeconds: 60, victory: false, ...input } },
      { token: player.token },
    )
    .then((r) => {
      if (!r.data) throw new Error(app.logLines.filter((line) => line.includes('unexpected')).join('\n'));
      return r.data.submitGameResult;
    });
async function submitted(player: SignedInPlayer, input: Partial<SubmitGameResultInput> = {}) {
  const result = await submit(player, input);
  if (result.__typename !== 'GameResultPayload') throw new Error(JSON.stringify(result));
  return result;
}
async function progressOf(player: SignedInPlayer) {
  const { data } = await app.gql(PlayerProgressDocument, { id: player.id });
  return Object.fromEntries(data!.player!.achievements.map((a) => [a.achievement.id, a]));
}

describe('game saves', () => {
  it('a slot is created at version 1 without expectedVersion, and then written only at its current version', async () => {
    const player = await registerPlayer(app);
    const created = await write(player, { slot: 1, state: { floor: 3 }, summary: 'Floor 3' });
    expect(created).toMatchObject({ __typename: 'SavePayload', save: { slot: 1, version: 1, summary: 'Floor 3', state: { floor: 3 } } });
    expect(await write(player, { slot: 1, state: { floor: 4 } })).toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(await write(player, { slot: 1, expectedVersion: 1, state: { floor: 4 } })).toMatchObject({
      save: { version: 2, state: { floor: 4 } },
    });
    expect(await write(player, { slot: 1, expectedVersion: 1, state: { floor: 5 } })).toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(await write(player, { slot: 2, expectedVersion: 0, state: {} })).toMatchObject({ code: 'VERSION_CONFLICT' });
    const [row] = await db().select().from(gameSaves).where(eq(gameSaves.playerId, player.id));
    expect(row).toMatchObject({ slot: 1, version: 2, state: { floor: 4 }, summary: null });
  });

  it('a slot outside 1 to 3 and a state over 256 KiB are VALIDATION naming the field', async () => {
    const player = await registerPlayer(app);
    expect(await write(player, { slot: 0, state: {} })).toMatchObject({ code: 'VALIDATION', field: 'slot' });
    expect(await write(player, { slot: 4, state: {} })).toMatchObject({ code: 'VALIDATION', field: 'slot' });
    expect(await write(player, { slot: 1, state: 'x'.repeat(256 * 1024) })).toMatchObject({ code: 'VALIDATION', field: 'state' });
    expect(await write(player, { slot: 1, state: 'x'.repeat(256 * 1024 - 2) })).toMatchObject({ save: { version: 1 } });
    expect(await write(player, { slot: 2, state: {}, summary: 's'.repeat(201) })).toMatchObject({ code: 'VALIDATION', field: 'summary' });
    const deleted = await app.gql(DeleteSaveDocument, { slot: 9 }, { token: player.token });
    expect(deleted.data!.deleteSave).toMatchObject({ code: 'VALIDATION', field: 'slot' });
  });

  it('20 concurrent writes with the same expectedVersion: exactly one succeeds, the others are VERSION_CONFLICT', async () => {
    const player = await registerPlayer(app);
    await write(player, { slot: 3, state: { n: 0 } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => write(player, { slot: 3, expectedVersion: 1, state: { n } })));
    expect(results.filter((r) => r.__typename === 'SavePayload')).toHaveLength(1);
    expect(results.filter((r) => r.__typename !== 'SavePayload').every((r) => 'code' in r && r.code === 'VERSION_CONFLICT')).toBe(true);
    const [row] = await db()
      .select()
      .from(gameSaves)
      .where(and(eq(gameSaves.playerId, player.id), eq(gameSaves.slot, 3)));
    expect(row!.version).toBe(2);
  });

  it('mySaves caches slot metadata (not the state) as user:{id}:saves for an hour, dropped by every write and delete', async () => {
    const player = await registerPlayer(app);
    await write(player, { slot: 2, state: { gold: 10 }, summary: 'Town' });
    const first = await app.gql(MySavesDocument, {}, { token: player.token });
    expect(first.data!.mySaves).toMatchObject([{ slot: 2, version: 1, summary: 'Town', state: { gold: 10 } }]);
    const cached = await redis().get(savesKey(player.id));
    expect(JSON.parse(cached!).v).toEqual([{ slot: 2, version: 1, summary: 'Town', updatedAt: first.data!.mySaves[0]!.updatedAt }]);
    expect(await redis().ttl(savesKey(player.id))).toBeGreaterThan(3590);

    await write(player, { slot: 2, expectedVersion: 1, state: { gold: 20 } });
    expect(await redis().exists(savesKey(player.id))).toBe(0);
    expect((await app.gql(MySavesDocument, {}, { token: player.token })).data!.mySaves).toMatchObject([
      { version: 2, state: { gold: 20 } },
    ]);

    expect((await app.gql(DeleteSaveDocument, { slot: 2 }, { token: player.token })).data!.deleteSave).toEqual({
      __typename: 'DeleteSavePayload',
      slot: 2,
    });
    expect(await redis().exists(savesKey(player.id))).toBe(0);
    expect((await app.gql(MySavesDocument, {}, { token: player.token })).data!.mySaves).toEqual([]);
    expect((await app.gql(DeleteSaveDocument, { slot: 2 }, { token: player.token })).data!.deleteSave).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('saves are per player, and need a session', async () => {
    const [alice, bob] = [await registerPlayer(app), await registerPlayer(app)];
    await write(alice, { slot: 1, state: { who: 'alice' } });
    expect(await write(bob, { slot: 1, state: { who: 'bob' } })).toMatchObject({ save: { version: 1, state: { who: 'bob' } } });
    expect((await app.gql(MySavesDocument, {}, { token: alice.token })).data!.mySaves).toMatchObject([{ state: { who: 'alice' } }]);
    expect((await app.gql(WriteSaveDocument, { input: { slot: 1, state: {} } })).data!.writeSave).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect((await app.gql(MySavesDocument, {})).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('game results', () => {
  it('a result is stored with its kills, bosses and ghost, and myResults lists the newest first', async () => {
    const player = await registerPlayer(app);
    const character = await createCharacterFor(app, player);
    const first = await submitted(player, {
      characterId: character.id,
      score: 1200,
      floorReached: 6,
      durationSeconds: 900,
      victory: true,
      kills: [
        { enemyId: 'cave_goblin', count: 3 },
        { enemyId: 'giant_rat', count: 2 },
        { enemyId: 'cave_goblin', count: 1 },
      ],
      bossesDefeated: ['grubnak_goblin_king'],
      itemsCollected: 7,
      ghost: { inputs: [1, 2, 3] },
    });
    expect(first.result).toMatchObject({ score: 1200, floorReached: 6, durationSeconds: 900, victory: true, player: { id: player.id } });
    expect(first.allTimeRank).toBeGreaterThanOrEqual(1);
    expect(first.dailyRank).toBeNull();
    const [row] = await db().select().from(gameResults).where(eq(gameResults.id, first.result.id));
    expect(row).toMatchObject({
      playerId: player.id,
      characterId: character.id,
      kills: { cave_goblin: 4, giant_rat: 2 },
      bossesDefeated: ['grubnak_goblin_king'],
      itemsCollected: 7,
      ghost: { inputs: [1, 2, 3] },
      dailyChallengeId: null,
    });
    const second = await submitted(player, { score: 50 });
    const mine = await app.gql(MyResultsDocument, { first: 5 }, { token: player.token });
    expect(mine.data!.myResults.map((r) => r.id)).toEqual([second.result.id, first.result.id]);
  });

  it('every enemy and boss id is checked against the reference data; nothing is stored when one is unknown', async () => {
    const player = await registerPlayer(app);
    const unknownEnemy = await submit(player, {
      kills: [
        { enemyId: 'giant_rat', count: 1 },
        { enemyId: 'dragon_of_nowhere', count: 1 },
      ],
    });
    expect(unknownEnemy).toMatchObject({ code: 'VALIDATION', field: 'kills[1].enemyId' });
    expect(await submit(player, { bossesDefeated: ['nobody'] })).toMatchObject({ code: 'VALIDATION', field: 'bossesDefeated[0]' });
    expect(await submit(player, { score: -1 })).toMatchObject({ code: 'VALIDATION', field: 'score' });
    expect(await submit(player, { kills: [{ enemyId: 'giant_rat', count: 0 }] })).toMatchObject({
      code: 'VALIDATION',
      field: 'kills[0].count',
    });
    expect(await submit(player, { ghost: 'g'.repeat(256 * 1024) })).toMatchObject({ code: 'VALIDATION', field: 'ghost' });
    expect(await submit(player, { dailyChallengeId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      code: 'VALIDATION',
      field: 'dailyChallengeId',
    });
    expect(await db().select().from(gameResults).where(eq(gameResults.playerId, player.id))).toEqual([]);
    const page = await app.gql(MyResultsDocument, { first: 101 }, { token: player.token });
    expect(page.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });

  it("a result for another player's character is FORBIDDEN, and one without a session UNAUTHENTICATED", async () => {
    const [owner, other] = [await registerPlayer(app), await registerPlayer(app)];
    const character = await createCharacterFor(app, owner);
    expect(await submit(other, { characterId: character.id })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await submit(other, { characterId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ code: 'CHARACTER_NOT_FOUND' });
    const anonymous = await app.gql(SubmitGameResultDocument, { input: { score: 1, floorReached: 1, durationSeconds: 1, victory: true } });
    expect(anonymous.data!.submitGameResult).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('achievements', () => {
  it('kill_count sums kills over results (of its enemy, or of any), stops at its target and unlocks once', async () => {
    const player = await registerPlayer(app);
    const first = await submitted(player, { kills: [{ enemyId: 'cave_goblin', count: 60 }] });
    expect(first.unlocked.map((u) => u.achievement.id)).toEqual(['first_blood']);
    expect((await progressOf(player)).goblin_bane).toMatchObject({ progress: 60, target: 100, unlockedAt: null });
    const second = await submitted(player, {
      kills: [
        { enemyId: 'cave_goblin', count: 60 },
        { enemyId: 'giant_rat', count: 5 },
      ],
    });
    expect(second.unlocked).toMatchObject([{ achievement: { id: 'goblin_bane' }, progress: 100, target: 100 }]);
    const third = await submitted(player, { kills: [{ enemyId: 'cave_goblin', count: 60 }] });
    expect(third.unlocked).toEqual([]);
    const progress = await progressOf(player);
    expect(progress.goblin_bane).toMatchObject({ progress: 100, unlockedAt: second.unlocked[0]!.unlockedAt });
    expect(progress.first_blood).toMatchObject({ progress: 1, unlockedAt: first.unlocked[0]!.unlockedAt });
  });

  it('floor_reached is the best floor of any one result; items_collected sums; boss_defeated counts results that defeated the boss', async () => {
    const player = await registerPlayer(app);
    await submitted(player, { floorReached: 8, itemsCollected: 200, bossesDefeated: ['tempest_sovereign'] });
    const deeper = await submitted(player, { floorReached: 12, itemsCollected: 250 });
    expect(deeper.unlocked.map((u) => u.achievement.id)).toEqual(['delver']);
    await submitted(player, { floorReached: 5, itemsCollected: 100, bossesDefeated: ['grubnak_goblin_king'] });
    const progress = await progressOf(player);
    expect(progress.delver).toMatchObject({ progress: 10, target: 10 });
    expect(progress.abyss_walker).toMatchObject({ progress: 12, target: 50, unlockedAt: null });
    expect(progress.pack_rat).toMatchObject({ progress: 500, target: 500 });
    expect(progress.pack_rat!.unlockedAt).not.toBeNull();
    expect(progress.eye_of_the_storm!.unlockedAt).not.toBeNull();
    expect(progress.kingslayer!.unlockedAt).not.toBeNull();
    expect(progress.first_blood).toMatchObject({ progress: 0, unlockedAt: null });
  });

  it('essences_bonded is the most essences on one character, advanced by bondEssence, which returns what it unlocked', async () => {
    const player = await registerPlayer(app);
    const [a, b] = [await createCharacterFor(app, player), await createCharacterFor(app, player)];
    const bond = (characterId: string, essenceType: string) =>
      app
        .gql(BondEssenceUnlocksDocument, { input: { characterId, essenceType, attribute: 'POWER' } }, { token: player.token })
        .then((r) => r.data!.bondEssence);
    expect(await bond(a.id, 'might')).toMatchObject({ unlocked: [{ achievement: { id: 'first_bond' }, progress: 1, target: 1 }] });
    expect(await bond(b.id, 'might')).toMatchObject({ unlocked: [] });
    await bond(a.id, 'fire');
    expect((await progressOf(player)).fourfold_bond).toMatchObject({ progress: 2, unlockedAt: null });
    await bond(b.id, 'fire');
    expect((await progressOf(player)).fourfold_bond).toMatchObject({ progress: 2 });
  });

  it('drinks_assigned counts the drinks the player assigned at the tavern', async () => {
    const [host, guest] = [await registerPlayer(app), await registerPlayer(app)];
    const started = (await app.gql(StartTavernGameDocument, { channelId: uniqueName('ch') }, { token: host.token })).data!.startTavernGame;
    if (started.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(started));
    await app.gql(JoinTavernGameDocument, { gameId: started.game.id }, { token: guest.token });
    for (let i = 0; i < 3; i++) {
      await app.gql(AssignDrinkDocument, { input: { gameId: started.game.id, toPlayerId: guest.id } }, { token: host.token });
    }
    expect((await progressOf(host)).round_on_the_house).toMatchObject({ progress: 3, target: 10 });
    expect((await progressOf(guest)).round_on_the_house).toMatchObject({ progress: 0 });
  });

  /** A running game between two new players: its id and the host, who assigns the drinks. */
  async function tavernPair() {
    const [host, guest] = [await registerPlayer(app), await registerPlayer(app)];
    const started = (await app.gql(StartTavernGameDocument, { channelId: uniqueName('ch') }, { token: host.token })).data!.startTavernGame;
    if (started.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(started));
    await app.gql(JoinTavernGameDocument, { gameId: started.game.id }, { token: guest.token });
    const drink = () =>
      app.gqlCounted(AssignDrinkDocument, { input: { gameId: started.game.id, toPlayerId: guest.id } }, { token: host.token });
    return { host, drink };
  }

  it('simultaneous drinks count once each up to the target, and the unlock is recorded once', async () => {
    const { host, drink } = await tavernPair();
    const answers = await Promise.all(Array.from({ length: 14 }, drink));
    expect(answers.every((a) => a.response.data!.assignDrink.__typename === 'DrinkPayload')).toBe(true);
    const rows = await db().select().from(playerAchievements).where(eq(playerAchievements.playerId, host.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ achievementId: 'round_on_the_house', progress: 10, unlockedAt: expect.any(Date) });
  });

  it('a drink that can no longer advance anything (drinks_assigned at its target) runs no SQL at all and keeps the cached achievements', async () => {
    const { host, drink } = await tavernPair();
    for (let i = 0; i < 10; i++) await drink();
    const [settled] = await db().select().from(playerAchievements).where(eq(playerAchievements.playerId, host.id));
    expect(settled).toMatchObject({ progress: 10, unlockedAt: expect.any(Date) });
    await drink(); // reads the achievements into the cache and finds nothing to advance
    expect(await redis().exists(achievementsKey(host.id))).toBe(1);
    const { response, statements } = await drink();
    expect(response.data!.assignDrink.__typename).toBe('DrinkPayload');
    // No achievement statement, and no lookup of characters to drop: nothing cached shows drinkStats.
    expect(statements).toEqual([]);
    expect(await redis().exists(achievementsKey(host.id))).toBe(1);
    expect(await db().select().from(playerAchievements).where(eq(playerAchievements.playerId, host.id))).toEqual([settled]);
    expect((await progressOf(host)).round_on_the_house).toMatchObject({ progress: 10, target: 10 });
  });

  it('a settled drinker is remembered per instance: later drinks run no SQL even with the cached achievements gone', async () => {
    const { host, drink } = await tavernPair();
    for (let i = 0; i < 11; i++) await drink(); // the 11th finds nothing to advance, and is remembered
    await redis().del(achievementsKey(host.id));
    const { response, statements } = await drink();
    expect(response.data!.assignDrink.__typename).toBe('DrinkPayload');
    expect(statements).toEqual([]);
    expect(await redis().exists(achievementsKey(host.id))).toBe(0);
    expect(await redis().hget(playerDrinksKey(host.id), 'assigned')).toBe('12');
  });

  it('a new game-data version that raises the target makes the next drink count again', async () => {
    const { host, drink } = await tavernPair();
    for (let i = 0; i < 11; i++) await drink();
    const [definition] = await db().select().from(achievements).where(eq(achievements.id, 'round_on_the_house'));
    const data = definition!.data as { criteria: { target: number } };
    try {
      // What a seed run does: commit the new definitions, then publish a new version.
      await db()
        .update(achievements)
        .set({ data: { ...data, criteria: { ...data.criteria, target: 20 } } })
        .where(eq(achievements.id, 'round_on_the_house'));
      await publishGameVersion(redis(), `raised-${Date.now()}`);
      await drink();
      expect((await progressOf(host)).round_on_the_house).toMatchObject({ progress: 11, target: 20 });
    } finally {
      await db().update(achievements).set({ data }).where(eq(achievements.id, 'round_on_the_house'));
      await publishGameVersion(redis(), `restored-${Date.now()}`);
    }
  });

  it('after progress is replaced wholesale and the epoch bumped (a world import), the next drink counts again', async () => {
    const { host, drink } = await tavernPair();
    for (let i = 0; i < 11; i++) await drink();
    await db().delete(playerAchievements).where(eq(playerAchievements.playerId, host.id));
    await app.services.cache.invalidateEverything();
    await drink();
    expect((await progressOf(host)).round_on_the_house).toMatchObject({ progress: 1, unlockedAt: null });
  });

  it('an instance forgets every settled drinker when the epoch moves, even if it later returns to a value seen before (a Redis flush)', async () => {
    const [p, q] = [await tavernPair(), await tavernPair()];
    for (let i = 0; i < 11; i++) await Promise.all([p.drink(), q.drink()]);
    const epoch = await redis().get(CACHE_EPOCH_KEY);
    await redis().set(CACHE_EPOCH_KEY, 'after-a-flush');
    await p.drink(); // this instance sees the epoch move
    // Progress replaced, and the epoch back at a value it had before.
    await db().delete(playerAchievements).where(eq(playerAchievements.playerId, q.host.id));
    await (epoch === null ? redis().del(CACHE_EPOCH_KEY) : redis().set(CACHE_EPOCH_KEY, epoch));
    await redis().del(achievementsKey(q.host.id));
    await q.drink();
    expect((await progressOf(q.host)).round_on_the_house).toMatchObject({ progress: 1, unlockedAt: null });
  });

  it('a drink records the unlock of an achievement already past its target but never unlocked (its target was lowered)', async () => {
    const { host, drink } = await tavernPair();
    await db()
      .insert(playerAchievements)
      .values({ playerId: host.id, achievementId: 'round_on_the_house', progress: 12, unlockedAt: null });
    await redis().del(achievementsKey(host.id));
    await drink();
    const [row] = await db()
      .select()
      .from(playerAchievements)
      .where(and(eq(playerAchievements.playerId, host.id), eq(playerAchievements.achievementId, 'round_on_the_house')));
    expect(row).toMatchObject({ progress: 10, unlockedAt: expect.any(Date) });
  });

  it('simultaneous results count every kill once and record each unlock once', async () => {
    const player = await registerPlayer(app);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => submitted(player, { floorReached: 0, kills: [{ enemyId: 'cave_goblin', count: 10 }] })),
    );
    const unlocks = results.flatMap((r) => r.unlocked.map((u) => u.achievement.id)).sort();
    expect(unlocks).toEqual(['first_blood', 'goblin_bane']);
    const rows = await db().select().from(playerAchievements).where(eq(playerAchievements.playerId, player.id));
    expect(Object.fromEntries(rows.map((r) => [r.achievementId, r.progress]))).toEqual({ first_blood: 1, goblin_bane: 100 });
  });

  it('achievements are cached as user:{id}:achievements for an hour; a result drops them and the cached character response', async () => {
    const player = await registerPlayer(app);
    const character = await createCharacterFor(app, player);
    await app.gql(PlayerProgressDocument, { id: player.id });
    expect(await redis().ttl(achievementsKey(player.id))).toBeGreaterThan(3590);
    const before = await app.gql(CharacterWithProgressDocument, { id: character.id });
    expect(before.data!.character!.player.bestScore).toBeNull();
    await submitted(player, { score: 777, kills: [{ enemyId: 'giant_rat', count: 1 }] });
    expect(await redis().exists(achievementsKey(player.id))).toBe(0);
    const after = await app.gql(CharacterWithProgressDocument, { id: character.id });
    expect(after.data!.character!.player.bestScore).toBe(777);
    expect(after.data!.character!.player.achievements.find((a) => a.achievement.id === 'first_blood')!.progress).toBe(1);
  });
});

describe('daily challenges', () => {
  it('the challenge of a date is made from the date alone: same seed, theme and 1 to 3 modifiers every time', async () => {
    const date = '2024-02-29';
    const { data } = await app.gql(DailyChallengeDocument, { date });
    const challenge = data!.dailyChallenge;
    const design = await designChallenge(app.services.reference, date);
    expect(challenge).toMatchObject({ date, seed: design.seed, themeId: design.themeId, modifiers: design.modifiers });
    expect(challenge.modifiers.length).toBeGreaterThanOrEqual(1);
    expect(challenge.modifiers.length).toBeLessThanOrEqual(3);
    expect(challenge.modifiers.every((m) => /^(trap|hazard|element):[a-z0-9_]+$/.test(m))).toBe(true);
    expect((await app.gql(DailyChallengeDocument, { date })).data!.dailyChallenge).toEqual(challenge);
    const other = (await app.gql(DailyChallengeDocument, { date: '2024-03-01' })).data!.dailyChallenge;
    expect(other.id).not.toBe(challenge.id);
    const today = (await app.gql(DailyChallengeDocument, {})).data!.dailyChallenge;
    expect(today.date).toBe(new Date().toISOString().slice(0, 10));
  });

  it('simultaneous first requests on two instances create one row and agree on it', async () => {
    const other = await startInstance(app.databaseUrl, app.redisUrl);
    try {
      const date = '2023-07-14';
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : app).gql(DailyChallengeDocument, { date }).then((r) => r.data!.dailyChallenge),
        ),
      );
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(await db().select().from(dailyChallenges).where(eq(dailyChallenges.date, date))).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('a date that is not YYYY-MM-DD, before 2020 or after tomorrow is VALIDATION', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    expect((await app.gql(DailyChallengeDocument, { date: tomorrow })).data!.dailyChallenge.date).toBe(tomorrow);
    for (const date of [later, '2019-12-31', '2024-02-30', '2024-1-01', 'today']) {
      const { errors } = await app.gql(DailyChallengeDocument, { date });
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'date' });
    }
  });
});

describe('gameStats', () => {
  it('counts players, characters, results today and active players, cached as stats:global for 5 minutes', async () => {
    const player = await registerPlayer(app);
    await createCharacterFor(app, player);
    await submitted(player);
    await redis().del(STATS_KEY);
    const stats = (await app.gql(GameStatsDocument, {})).data!.gameStats;
    expect(stats.players).toBeGreaterThanOrEqual(1);
    expect(stats.characters).toBeGreaterThanOrEqual(1);
    expect(stats.resultsToday).toBeGreaterThanOrEqual(1);
    expect(stats.activePlayers).toBeGreaterThanOrEqual(1);
    const ttl = await redis().ttl(STATS_KEY);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    await registerPlayer(app);
    expect((await app.gql(GameStatsDocument, {})).data!.gameStats).toEqual(stats);
    await redis().del(STATS_KEY);
    expect((await app.gql(GameStatsDocument, {})).data!.gameStats.players).toBe(stats.players + 1);
  });
});
