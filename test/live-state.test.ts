import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { characterKey, LIVE_PENDING_KEY, liveStateKey } from '../src/cache/keys.js';
import { characters } from '../src/characters/tables.js';
import { openPglite } from '../src/db/client.js';
import { writePendingStates, writeStateNow } from '../src/live-state/live-state.js';
import { createLogger } from '../src/logger.js';
import {
  BondEssenceDocument,
  CreateCharacterDocument,
  LiveCharacterDocument,
  LiveCharacterPlannedDocument,
  LiveUpdateDocument,
  RegisterDocument,
} from './generated/graphql.js';
import { startInstance, startTestApp, type TestApp } from './support/harness.js';
import { waitUntil } from './support/wait.js';
import { createCharacterFor, registerPlayer, type SignedInPlayer } from './support/players.js';
import { post, spawnServer } from './support/process.js';

type State = { currentRoomId?: string; health?: number; mana?: number; stamina?: number };

const waitFor = (check: () => Promise<boolean>, timeoutMs = 5000) => waitUntil(check, 'the live state condition', timeoutMs);

const update = (app: TestApp, player: SignedInPlayer, characterId: string, state: State) =>
  app.gql(LiveUpdateDocument, { input: { characterId, ...state } }, { token: player.token }).then((r) => r.data!.updateCharacterState);

const storedRow = async (app: TestApp, id: string) => (await app.database.db.select().from(characters).where(eq(characters.id, id)))[0]!;

/**
 * Holds the clock the server reads (Date.now) at the current time; the test moves it. Timers stay real, so the
 * flusher's own interval keeps polling, but only at the time the test set: nothing becomes due because this
 * machine is slow, and what is due is written however slow it is.
 */
function holdClock() {
  let now = Date.now();
  vi.setSystemTime(now);
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
      vi.setSystemTime(now);
    },
    release: () => vi.useRealTimers(),
  };
}

/**
 * One flush tick at the held clock's time, run to completion. Twice: the first call may join a timer run that
 * began before the clock last moved.
 */
async function flushTick(app: TestApp) {
  await app.services.liveStates.flushDue();
  await app.services.liveStates.flushDue();
}

/** The write-behind UPDATE statements a test app has issued so far. */
const flushStatements = (app: TestApp) =>
  app.logLines.filter((line) => line.includes('"msg":"sql"') && line.includes('update \\"characters\\" as c set'));

describe('accepting and reading (quiet period 9 s, so nothing is flushed during these tests)', () => {
  let app: TestApp;
  let owner: SignedInPlayer;
  beforeAll(async () => {
    app = await startTestApp({ liveState: { flushMs: 9000 } });
    owner = await registerPlayer(app);
  });
  afterAll(() => app.close());

  it('answers with the accepted state before PostgreSQL has it, keeping omitted fields', async () => {
    const character = await createCharacterFor(app, owner);
    expect(await update(app, owner, character.id, { currentRoomId: 'crypt_3', health: 40 })).toMatchObject({
      character: { currentRoomId: 'crypt_3', health: 40, mana: 100, stamina: 100 },
    });
    expect(await update(app, owner, character.id, { mana: 7 })).toMatchObject({
      character: { currentRoomId: 'crypt_3', health: 40, mana: 7, stamina: 100 },
    });
    expect(await storedRow(app, character.id)).toMatchObject({ currentRoomId: null, health: 100, mana: 100, liveStateSeq: 0 });
    const pending = await app.redisHandle.redis.hgetall(liveStateKey(character.id));
    expect(pending).toMatchObject({ currentRoomId: 'crypt_3', health: '40', mana: '7' });
    expect(await app.redisHandle.redis.zscore(LIVE_PENDING_KEY, character.id)).not.toBeNull();
    expect(await app.redisHandle.redis.pttl(liveStateKey(character.id))).toBeGreaterThan(0);
  });

  it('every read sees the latest state at once: planned-row cache, whole-response cache, nested siblings, another instance', async () => {
    const hero = await createCharacterFor(app, owner);
    const sibling = await createCharacterFor(app, owner);
    // Warm both cache tiers for both characters.
    for (let i = 0; i < 2; i++) {
      await app.gql(LiveCharacterDocument, { id: hero.id }, {});
      await app.gql(LiveCharacterPlannedDocument, { id: hero.id }, {});
      await app.gql(LiveCharacterDocument, { id: sibling.id }, {});
    }
    expect((await app.gqlCounted(LiveCharacterDocument, { id: hero.id }, {})).statements).toEqual([]);

    await update(app, owner, sibling.id, { health: 12, currentRoomId: 'bridge' });
    await update(app, owner, hero.id, { stamina: 33 });

    const other = await startInstance(app.databaseUrl, app.redisUrl, { liveState: { flushMs: 9000 } });
    try {
      for (const instance of [app, other]) {
        const whole = await instance.gql(LiveCharacterDocument, { id: hero.id }, {});
        expect(whole.data!.character).toMatchObject({ stamina: 33, health: 100 });
        expect(whole.data!.character!.player.characters.find((c) => c.id === sibling.id)).toMatchObject({
          health: 12,
          currentRoomId: 'bridge',
        });
        const planned = await instance.gql(LiveCharacterPlannedDocument, { id: hero.id }, {});
        expect(planned.data!.character).toMatchObject({ stamina: 33 });
        expect((await instance.gql(LiveCharacterDocument, { id: sibling.id }, {})).data!.character).toMatchObject({ health: 12 });
      }
      // The planned rows survived the updates (only whole responses were dropped): a warm read costs no SQL.
      expect((await app.gqlCounted(LiveCharacterPlannedDocument, { id: hero.id }, {})).statements).toEqual([]);
      expect(await storedRow(app, hero.id)).toMatchObject({ stamina: 100 });
    } finally {
      await other.close();
    }
  });

  it("an update drops only the whole responses of its player's characters; other players' stay cached", async () => {
    const mine = await createCharacterFor(app, owner);
    const other = await registerPlayer(app);
    const theirs = await createCharacterFor(app, other);
    for (const id of [mine.id, theirs.id]) await app.gql(LiveCharacterDocument, { id }, {});
    const responseFields = async (id: string) =>
      (await app.redisHandle.redis.hkeys(characterKey(id))).filter((field) => field.startsWith('response:'));
    expect(await responseFields(theirs.id)).toHaveLength(1);
    await update(app, owner, mine.id, { health: 3 });
    expect(await responseFields(mine.id)).toHaveLength(0);
    expect(await responseFields(theirs.id)).toHaveLength(1);
    expect((await app.gqlCounted(LiveCharacterDocument, { id: theirs.id }, {})).statements).toEqual([]);
  });

  it('an update issues no SQL once the character is cached; refusals change nothing', async () => {
    const character = await createCharacterFor(app, owner);
    await update(app, owner, character.id, { health: 90 });
    const { response, statements } = await app.gqlCounted(
      LiveUpdateDocument,
      { input: { characterId: character.id, health: 80 } },
      { token: owner.token },
    );
    expect(response.data!.updateCharacterState).toMatchObject({ character: { health: 80 } });
    expect(statements).toEqual([]);

    const stranger = await registerPlayer(app);
    expect(await update(app, stranger, character.id, { health: 1 })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await update(app, owner, character.id, { health: 101 })).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/^health:/),
    });
    expect(await update(app, owner, '6a1f3c1e-0000-4000-8000-000000000000', { health: 1 })).toMatchObject({ code: 'CHARACTER_NOT_FOUND' });
    expect(await update(app, owner, 'nope', { health: 1 })).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/^characterId:/),
    });
    expect((await app.gql(LiveCharacterDocument, { id: character.id }, {})).data!.character).toMatchObject({ health: 80 });
  });
});

describe('flushing', () => {
  it('coalesces: 100 updates within 1 s to one character make at most 2 UPDATE statements, holding the last state', async () => {
    const app = await startTestApp({ liveState: { flushMs: 1000 } });
    const clock = holdClock();
    try {
      const owner = await registerPlayer(app);
      const character = await createCharacterFor(app, owner);
      // 99 updates in bursts of 11 (as a client sending several a tick), 100 ms apart on the app's clock, then the
      // last one: the clock is the test's, so the updates fall within 1 s however slowly this machine runs them.
      for (let burst = 0; burst < 9; burst++) {
        await Promise.all(Array.from({ length: 11 }, (_, i) => update(app, owner, character.id, { health: burst * 11 + i })));
        clock.advance(100);
        await flushTick(app); // a flush tick between bursts, as the timer would run one
      }
      await update(app, owner, character.id, { health: 0, currentRoomId: 'room_100' });
      await flushTick(app);
      clock.advance(1000); // quiet for the whole quiet period
      await flushTick(app);
      expect(await storedRow(app, character.id)).toMatchObject({ currentRoomId: 'room_100', health: 0, mana: 100 });
      expect(flushStatements(app).length).toBeGreaterThanOrEqual(1);
      expect(flushStatements(app).length).toBeLessThanOrEqual(2);
      // Flushed: out of the queue; the hash stays briefly as an overlay, then expires.
      expect(await app.redisHandle.redis.zscore(LIVE_PENDING_KEY, character.id)).toBeNull();
      expect(await app.redisHandle.redis.hget(liveStateKey(character.id), 'first')).toBeNull();
      expect(await app.redisHandle.redis.pttl(liveStateKey(character.id))).toBeLessThanOrEqual(360_000);
    } finally {
      clock.release();
      await app.close();
    }
  });

  it('a batch is one statement, however many characters it holds', async () => {
    // A quiet period long enough that the timer writes nothing; the test flushes once, as if that time had passed.
    const app = await startTestApp({ liveState: { flushMs: 9000 } });
    try {
      const owner = await registerPlayer(app);
      const made = await Promise.all(Array.from({ length: 8 }, () => createCharacterFor(app, owner)));
      await Promise.all(made.map((c, i) => update(app, owner, c.id, { mana: i })));
      expect(flushStatements(app)).toHaveLength(0);
      // Twice: the first call may join a timer run already under way, which finds nothing due.
      await app.services.liveStates.flushDue(() => Date.now() + 10_000);
      await app.services.liveStates.flushDue(() => Date.now() + 10_000);
      const storedManas = await Promise.all(made.map(async (c) => (await storedRow(app, c.id)).mana));
      expect(storedManas).toEqual(made.map((_, i) => i));
      expect(flushStatements(app)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('writes once the character has been quiet for LIVE_STATE_FLUSH_MS, within 1 s after that', async () => {
    const app = await startTestApp({ liveState: { flushMs: 600 } });
    const clock = holdClock();
    try {
      const owner = await registerPlayer(app);
      const character = await createCharacterFor(app, owner);
      await update(app, owner, character.id, { health: 55 });
      // A tick 1 ms before the quiet period ends writes nothing.
      clock.advance(599);
      await flushTick(app);
      expect((await storedRow(app, character.id)).health).toBe(100);
      // Quiet for 600 ms: from here the flusher's own timer (not the test) must write it within 1 s.
      clock.advance(1);
      const due = performance.now();
      await waitFor(async () => (await storedRow(app, character.id)).health === 55, 3000);
      expect(performance.now() - due).toBeLessThan(1000);
    } finally {
      clock.release();
      await app.close();
    }
  });

  it('under constant updates, writes at the cap after the first pending update', async () => {
    const app = await startTestApp({ liveState: { flushMs: 500, capMs: 1200 } });
    const clock = holdClock();
    try {
      const owner = await registerPlayer(app);
      const character = await createCharacterFor(app, owner);
      const started = clock.now();
      let written = 0;
      // An update every 50 ms of the app's clock for 3 s, each followed by a flush tick: never quiet for 500 ms.
      for (let i = 1; clock.now() - started < 3000; i++) {
        await update(app, owner, character.id, { stamina: i % 100 });
        await flushTick(app);
        if (!written && (await storedRow(app, character.id)).stamina !== 100) written = clock.now() - started;
        clock.advance(50);
      }
      // Never quiet for 500 ms, yet written by the cap: at the first tick that reaches it, not before.
      expect(written).toBe(1200);
    } finally {
      clock.release();
      await app.close();
    }
  });
});

describe('transactional writes and ordering', () => {
  let app: TestApp;
  let owner: SignedInPlayer;
  beforeAll(async () => {
    app = await startTestApp({ liveState: { flushMs: 200 } });
    owner = await registerPlayer(app);
  });
  afterAll(() => app.close());

  it('bondEssence and a pending state keep both: the flush writes only the live columns, the bond only its own', async () => {
    const character = await createCharacterFor(app, owner);
    await update(app, owner, character.id, { health: 60, currentRoomId: 'forge' });
    const bond = { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' as const } };
    // The bond commits while the state is pending; more updates arrive while both are in flight.
    const [bonded] = await Promise.all([
      app.gql(BondEssenceDocument, bond, { token: owner.token }),
      update(app, owner, character.id, { mana: 20 }),
    ]);
    expect(bonded.data!.bondEssence.__typename).toBe('BondEssencePayload');
    // The bond raised maximum health (new maximums apply at once) and the read shows both.
    expect(await update(app, owner, character.id, { health: 104 })).toMatchObject({ character: { health: 104, mana: 20 } });
    await waitFor(async () => (await storedRow(app, character.id)).health === 104);
    const row = await storedRow(app, character.id);
    expect(row).toMatchObject({ health: 104, mana: 20, currentRoomId: 'forge' });
    expect(row.power).toBeGreaterThan(10);
    expect((await app.gql(LiveCharacterDocument, { id: character.id }, {})).data!.character).toMatchObject({
      health: 104,
      attributes: { power: row.power },
    });
  });

  it('an older pending state never overwrites a newer direct write, and a batch written twice applies once', async () => {
    const character = await createCharacterFor(app, owner);
    const older = { characterId: character.id, seq: Date.now() - 1000, health: 11 };
    // With Redis down an update goes straight to PostgreSQL, newer than anything pending.
    await writeStateNow(app.database.db, character.id, { health: 77 });
    expect(await writePendingStates(app.database.db, [older])).toBe(0);
    expect((await storedRow(app, character.id)).health).toBe(77);

    const newer = { characterId: character.id, seq: Date.now() + 1000, health: 22 };
    expect(await writePendingStates(app.database.db, [newer])).toBe(1);
    expect(await writePendingStates(app.database.db, [newer])).toBe(0);
    expect(await storedRow(app, character.id)).toMatchObject({ health: 22, liveStateSeq: newer.seq });
  });

  it('a flushed state still overlays a cached row read before the flush', async () => {
    const character = await createCharacterFor(app, owner);
    await app.gql(LiveCharacterPlannedDocument, { id: character.id }, {});
    await update(app, owner, character.id, { health: 31 });
    await waitFor(async () => (await storedRow(app, character.id)).health === 31);
    expect(await app.redisHandle.redis.exists(characterKey(character.id))).toBe(1);
    expect((await app.gql(LiveCharacterPlannedDocument, { id: character.id }, {})).data!.character).toMatchObject({ health: 31 });
  });
});

describe('processes', () => {
  it('SIGKILL in services mode loses nothing: another instance flushes what the killed one accepted', async () => {
    const app = await startTestApp({ liveState: { flushMs: 9000 } });
    try {
      const owner = await registerPlayer(app);
      const made = await Promise.all(Array.from({ length: 5 }, () => createCharacterFor(app, owner)));
      const server = await spawnServer({ DATABASE_URL: app.databaseUrl, REDIS_URL: app.redisUrl, LIVE_STATE_FLUSH_MS: '9000' });
      for (const [i, c] of made.entries()) {
        const answer = await post(
          server.url,
          print(LiveUpdateDocument),
          { input: { characterId: c.id, health: 50 + i, currentRoomId: 'vault' } },
          owner.token,
        );
        expect(answer.data.updateCharacterState.character.health).toBe(50 + i);
      }
      server.child.kill('SIGKILL');
      await server.exited;
      expect((await storedRow(app, made[0]!.id)).health).toBe(100);

      const rescuer = await startInstance(app.databaseUrl, app.redisUrl, { liveState: { flushMs: 9000 } });
      await rescuer.close(); // closing flushes everything pending, as at SIGTERM
      for (const [i, c] of made.entries()) expect(await storedRow(app, c.id)).toMatchObject({ health: 50 + i, currentRoomId: 'vault' });
      expect(await app.redisHandle.redis.zcard(LIVE_PENDING_KEY)).toBe(0);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('SIGTERM in embedded mode writes every pending state before exiting 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guildhall-live-'));
    try {
      const server = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', LIVE_STATE_FLUSH_MS: '9000' });
      const input = { username: 'live_hero', email: 'live@embedded.test', password: 'password123' };
      const { token } = (await post(server.url, print(RegisterDocument), { input })).data.register;
      const created = await post(server.url, print(CreateCharacterDocument), { input: { name: 'Embedded Ember' } }, token);
      const id = created.data.createCharacter.character.id;
      await post(server.url, print(LiveUpdateDocument), { input: { characterId: id, health: 9, currentRoomId: 'hall' } }, token);
      await post(server.url, print(LiveUpdateDocument), { input: { characterId: id, stamina: 8 } }, token);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);

      const database = await openPglite(join(dataDir, 'pglite'), { log: createLogger('silent') });
      const [row] = await database.db.select().from(characters).where(eq(characters.id, id));
      await database.close();
      expect(row).toMatchObject({ health: 9, stamina: 8, mana: 100, currentRoomId: 'hall' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
