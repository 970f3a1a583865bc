import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { announce, publishGameVersion } from '../src/invalidation.js';
import { items } from '../src/reference/tables.js';
import { characters } from '../src/characters/tables.js';
import { CACHE_EPOCH_KEY, CHARACTER_TTL_SECONDS, characterKey, MAX_SHAPES_PER_KEY, profileKey } from '../src/cache/keys.js';
import { writeStateNow } from '../src/live-state/live-state.js';
import { createContext } from '../src/context.js';
import { collectStatements } from '../src/db/statement-log.js';
import {
  AddInventoryItemsDocument,
  AwakenAbilityDocument,
  CharacterInventoryItemsDocument,
  BondEssenceDocument,
  CharacterWithOwnerDocument,
  CreateCharacterDocument,
  CreateDraftDocument,
  DeleteAccountDocument,
  EquipItemDocument,
  LoginDocument,
  RankUpAbilityDocument,
  RemoveInventoryItemDocument,
  StartQuestDocument,
  UnequipItemDocument,
  UpdateCharacterStateDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { startInstance, startTestApp, type TestApp } from './support/harness.js';
import { waitUntil } from './support/wait.js';
import { createCharacterFor, registerPlayer, uniqueCharacterName, type SignedInPlayer } from './support/players.js';
import { freePort } from './support/throwaway.js';

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await startTestApp();
  b = await startInstance(a.databaseUrl, a.redisUrl);
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const read = (app: TestApp, id: string, player?: SignedInPlayer) =>
  app.gqlCounted(CharacterWithOwnerDocument, { id }, { token: player?.token });

describe('character(id) cache', () => {
  it('a warm read issues no SQL at all; the entry is character:{id} with a 5 minute TTL', async () => {
    const owner = await registerPlayer(a);
    const character = await createCharacterFor(a, owner);
    const cold = await read(a, character.id);
    expect(cold.statements).toHaveLength(1);
    const warm = await read(a, character.id);
    expect(warm.statements).toEqual([]);
    expect(warm.response).toEqual(cold.response);
    expect(await a.redisHandle.redis.type(characterKey(character.id))).toBe('hash');
    const ttl = await a.redisHandle.redis.ttl(characterKey(character.id));
    expect(ttl).toBeGreaterThan(CHARACTER_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(CHARACTER_TTL_SECONDS);
    // The other instance reads the same entry.
    expect((await read(b, character.id)).statements).toEqual([]);
  });

  it("never serves a player's email to another player, even from a warm entry", async () => {
    const [owner, stranger] = [await registerPlayer(a), await registerPlayer(a)];
    const character = await createCharacterFor(a, owner);
    expect((await read(a, character.id, owner)).response.data!.character!.player.email).toBe(owner.email);
    const asStranger = await read(b, character.id, stranger);
    expect(asStranger.statements).toEqual([]);
    expect(asStranger.response.data!.character!.player.email).toBeNull();
    expect((await read(b, character.id)).response.data!.character!.player.email).toBeNull();
    // The anonymous response is now cached whole; the owner still gets their own email.
    expect((await read(b, character.id, owner)).response.data!.character!.player.email).toBe(owner.email);
  });

  it('a cached response that embeds reference records is dropped when game:version changes', async () => {
    const owner = await registerPlayer(a);
    const character = await createCharacterFor(a, owner);
    await a.gql(
      AddInventoryItemsDocument,
      { input: { characterId: character.id, items: [{ itemId: 'torch', quantity: 1 }] } },
      { token: owner.token },
    );
    const itemNames = async () =>
      (await a.gqlCounted(CharacterInventoryItemsDocument, { id: character.id })).response.data!.character!.inventory.map(
        (i) => i.item?.name,
      );
    const before = await itemNames();
    expect((await a.gqlCounted(CharacterInventoryItemsDocument, { id: character.id })).statements).toEqual([]);
    await a.services.db.update(items).set({ data: sql`jsonb_set(data, '{name}', '"Relit Torch"')` }).where(eq(items.id, 'torch'));
    await publishGameVersion(a.redisHandle.redis, 'test-version-2');
    expect(await itemNames()).toEqual(['Relit Torch']);
    expect(before).not.toEqual(['Relit Torch']);
  });
});

describe('freshness across two instances', () => {
  /** A new owner and character for each test, so the tests stand alone in any order. */
  async function ownedCharacter() {
    const owner = await registerPlayer(a);
    const characterId = (await createCharacterFor(a, owner)).id;
    return { owner, characterId, as: { token: owner.token } };
  }

  /** Warms B's cache, writes on A, and returns B's next read. */
  async function afterWrite(characterId: string, write: () => Promise<unknown>) {
    await read(b, characterId);
    expect((await read(b, characterId)).statements).toEqual([]);
    await write();
    return (await read(b, characterId)).response.data!.character!;
  }

  it('sees a bonded essence', async () => {
    const { characterId, as } = await ownedCharacter();
    const after = await afterWrite(characterId, () =>
      a.gql(BondEssenceDocument, { input: { characterId, essenceType: 'fire', attribute: 'POWER' } }, as),
    );
    expect(after.essences).toEqual([{ essenceType: 'fire' }]);
  });

  it("a bond drops the cached entries of all its player's characters (their ids read in its transaction)", async () => {
    const { owner, characterId, as } = await ownedCharacter();
    const siblings = [(await createCharacterFor(a, owner)).id, (await createCharacterFor(a, owner)).id];
    for (const id of [characterId, ...siblings]) {
      await read(b, id);
      expect(await b.redisHandle.redis.exists(characterKey(id))).toBe(1);
    }
    await a.gql(BondEssenceDocument, { input: { characterId, essenceType: 'fire', attribute: 'POWER' } }, as);
    for (const id of [characterId, ...siblings]) expect(await b.redisHandle.redis.exists(characterKey(id))).toBe(0);
    expect((await read(b, siblings[0]!)).statements.length).toBeGreaterThan(0);
  });

  it('sees an awakened and a ranked-up ability', async () => {
    const { characterId, as } = await ownedCharacter();
    await a.gql(BondEssenceDocument, { input: { characterId, essenceType: 'fire', attribute: 'POWER' } }, as);
    const abilityId = (await read(b, characterId)).response.data!.character!.abilities[0]!.id;
    expect((await afterWrite(characterId, () => a.gql(AwakenAbilityDocument, { abilityId }, as))).abilities[0]!.awakened).toBe(true);
    await a.services.db.execute(`update characters set rank = 'iron' where id = '${characterId}'`);
    await a.services.cache.invalidate([characterKey(characterId)]);
    const ranked = await afterWrite(characterId, () => a.gql(RankUpAbilityDocument, { abilityId }, as));
    expect(ranked.abilities[0]!.currentRank).toBe('IRON');
  });

  it('sees inventory added, equipped, unequipped and removed', async () => {
    const { characterId, as } = await ownedCharacter();
    const added = await afterWrite(characterId, () =>
      a.gql(AddInventoryItemsDocument, { input: { characterId, items: [{ itemId: 'leather_cap', quantity: 1 }] } }, as),
    );
    const cap = added.inventory.find((i) => i.itemId === 'leather_cap')!;
    expect(cap.slot).toBeNull();
    const equipped = await afterWrite(characterId, () => a.gql(EquipItemDocument, { input: { inventoryItemId: cap.id, slot: 0 } }, as));
    expect(equipped.inventory.find((i) => i.id === cap.id)!.slot).toBe(0);
    const unequipped = await afterWrite(characterId, () => a.gql(UnequipItemDocument, { inventoryItemId: cap.id }, as));
    expect(unequipped.inventory.find((i) => i.id === cap.id)!.slot).toBeNull();
    const removed = await afterWrite(characterId, () =>
      a.gql(RemoveInventoryItemDocument, { input: { inventoryItemId: cap.id, quantity: 1 } }, as),
    );
    expect(removed.inventory.find((i) => i.id === cap.id)).toBeUndefined();
  });

  it('sees live state and quests', async () => {
    const { characterId, as } = await ownedCharacter();
    const state = await afterWrite(characterId, () =>
      a.gql(UpdateCharacterStateDocument, { input: { characterId, health: 33, currentRoomId: 'bridge' } }, as),
    );
    expect(state).toMatchObject({ health: 33, currentRoomId: 'bridge' });
    const quest = await afterWrite(characterId, () => a.gql(StartQuestDocument, { input: { characterId, questId: 'fresh_eyes' } }, as));
    expect(quest.activeQuests).toEqual([{ questId: 'fresh_eyes' }]);
  });

  it("sees a sibling character and the player's new lastLogin", async () => {
    const { owner, characterId, as } = await ownedCharacter();
    const name = uniqueCharacterName('Sibling');
    const sibling = await afterWrite(characterId, () => a.gql(CreateCharacterDocument, { input: { name } }, as));
    expect(sibling.player.characters.map((c) => c.name)).toContain(name);
    const before = sibling.player.lastLogin;
    const relogged = await afterWrite(characterId, () =>
      a.gql(LoginDocument, { input: { login: owner.username, password: owner.password } }),
    );
    expect(relogged.player.lastLogin).not.toBe(before);
  });

  it('sees the character gone once its player deletes the account', async () => {
    const { owner, characterId, as } = await ownedCharacter();
    await read(b, characterId);
    const deleted = await a.gql(DeleteAccountDocument, { input: { password: owner.password } }, as);
    expect(deleted.data!.deleteAccount).toMatchObject({ __typename: 'DeleteAccountPayload' });
    expect((await read(b, characterId)).response.data!.character).toBeNull();
    expect(await a.redisHandle.redis.exists(`session:${owner.token}`)).toBe(0);
  });
});

describe('deleting an account while a character is being created', () => {
  it("drops the cached reads of a character whose creation held the player's row when the deletion began", async () => {
    const owner = await registerPlayer(a);
    // A creation in progress: the player's row locked and the character inserted, not yet committed.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let created!: (id: string) => void;
    let failed!: (error: unknown) => void;
    const newId = new Promise<string>((resolve, reject) => {
      created = resolve;
      failed = reject;
    });
    const creation = a.database.db
      .transaction(async (tx) => {
        await tx.execute(sql`select id from players where id = ${owner.id} for update`);
        const name = uniqueCharacterName('Late');
        const [row] = await tx.insert(characters).values({ playerId: owner.id, name, health: 100, mana: 50, stamina: 50 }).returning();
        created(row!.id);
        await committed;
      })
      .catch(failed);
    const lateId = await newId;
    const deletion = a.gql(DeleteAccountDocument, { input: { password: owner.password } }, { token: owner.token });
    // The deletion reaches the lock the creation holds; then a read of the new character is cached.
    await waitUntil(
      async () =>
        (
          (await a.database.db.execute(
            sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
          )) as unknown as [{ n: number }]
        )[0].n > 0,
      'the deletion to wait for the lock',
      10_000,
    );
    commit();
    await creation;
    await a.redisHandle.redis.hset(characterKey(lateId), 'a cached read', '{}');
    expect((await deletion).data!.deleteAccount).toMatchObject({ __typename: 'DeleteAccountPayload' });
    expect(await a.redisHandle.redis.exists(characterKey(lateId))).toBe(0);
  });
});

describe('cache bounds', () => {
  it('a character:{id} hash keeps at most MAX_SHAPES_PER_KEY selection shapes; further shapes are read, not stored', async () => {
    const owner = await registerPlayer(a);
    const character = await createCharacterFor(a, owner);
    const key = characterKey(character.id);
    const load = () => Promise.resolve({ id: character.id });
    for (let i = 0; i < MAX_SHAPES_PER_KEY + 8; i++) {
      expect(await a.services.cache.read('character', key, { columns: { id: true }, shape: i }, load, 60)).toEqual({ id: character.id });
    }
    expect(await a.redisHandle.redis.hlen(key)).toBe(MAX_SHAPES_PER_KEY);
    // A shape already stored is still replaced after an invalidation.
    await a.services.cache.invalidate([key]);
    await a.services.cache.read('character', key, { columns: { id: true }, shape: 0 }, load, 60);
    expect(await a.redisHandle.redis.hlen(key)).toBe(1);
  });
});

describe('player profiles loader', () => {
  it('N lookups in one tick make one SQL statement; a second round makes none', async () => {
    const players = await Promise.all(Array.from({ length: 8 }, () => registerPlayer(a)));
    const ids = [...players.map((p) => p.id), '00000000-0000-4000-8000-000000000000'];
    const load = (wanted: string[]) => {
      const ctx = createContext(a.services, null, 'test');
      return collectStatements(() => Promise.all(wanted.map((id) => ctx.loaders.player.load(id))));
    };
    const cold = await load(ids);
    expect(cold.statements).toHaveLength(1);
    expect(cold.statements[0]).toMatch(/where "players"\."id" in/);
    expect(cold.result.map((p) => p?.username)).toEqual([...players.map((p) => p.username), undefined]);
    expect(JSON.stringify(cold.result)).not.toContain('@');
    const warm = await load(players.map((p) => p.id)); // an id with no player is not cached
    expect(warm.statements).toEqual([]);
    expect(warm.result).toEqual(cold.result.slice(0, players.length));
    expect(await a.redisHandle.redis.ttl(profileKey(players[0]!.id))).toBeGreaterThan(3590);
  });
});

describe("a request's database handle", () => {
  it("counts every statement it runs, a transaction's too, and leaves the shared handle as it was", async () => {
    const ctx = createContext(a.services, null, 'test');
    expect(ctx.statements.count).toBe(0);
    await ctx.db.execute(sql`select 1`);
    await ctx.db.select({ id: characters.id }).from(characters).limit(1);
    await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await tx.execute(sql`select 2`);
    });
    expect(ctx.statements.count).toBe(4);
    // What is set on it stays on it; another request's handle counts on its own.
    (ctx.db as unknown as Record<string, unknown>).marker = 1;
    expect((a.services.db as unknown as Record<string, unknown>).marker).toBeUndefined();
    const other = createContext(a.services, null, 'test');
    await other.db.execute(sql`select 1`);
    expect([ctx.statements.count, other.statements.count]).toEqual([4, 1]);
  });
});

describe('metrics', () => {
  it('/metrics reports cache hits and misses per tier, SQL per operation and latency', async () => {
    const owner = await registerPlayer(a);
    const character = await createCharacterFor(a, owner);
    await read(a, character.id);
    await read(a, character.id); // answered whole from the response cache
    await read(a, character.id, owner); // selects email with a session: executed, planned read from cache
    const text = await (await a.yoga.fetch('http://guildhall.test/metrics')).text();
    expect(text).toMatch(/guildhall_cache_hits_total\{tier="response"\} [1-9]/);
    expect(text).toMatch(/guildhall_cache_hits_total\{tier="character"\} [1-9]/);
    expect(text).toMatch(/guildhall_cache_misses_total\{tier="character"\} [1-9]/);
    expect(text).toMatch(/guildhall_sql_statements_per_operation_count\{operation="CharacterWithOwner"\} [1-9]/);
    expect(text).toMatch(/guildhall_graphql_duration_seconds_bucket\{le="[\d.]+",operation="CharacterWithOwner"\}/);
  });
});

describe('Redis failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-redis-outage-'));
  let port: number;
  let app: TestApp;

  const startRedis = () =>
    execFileSync('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--pidfile',
      join(dir, 'redis.pid'),
      '--logfile',
      join(dir, 'redis.log'),
    ]);
  const waitFor = (condition: () => Promise<boolean>) => waitUntil(condition, 'Redis to come and go', 5_000, 50);

  beforeAll(async () => {
    port = await freePort();
    startRedis();
    app = await startInstance(a.databaseUrl, `redis://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await app.close();
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads fall back to PostgreSQL, Redis-only features are SERVICE_UNAVAILABLE, and nothing stale is read afterwards', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    await read(app, character.id);
    expect((await read(app, character.id)).statements).toEqual([]);

    // Redis goes away, keeping its data on disk (so the old entry comes back with it).
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'save']);
    await waitFor(async () => (await app.yoga.fetch('http://guildhall.test/ready')).status === 503);

    const during = await read(app, character.id);
    expect(during.response.errors).toBeUndefined();
    expect(during.response.data!.character!.health).toBe(100);
    const viewer = await app.gql(ViewerDocument, {}, { token: owner.token });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const draft = await app.gql(CreateDraftDocument, { input: {} }, { token: owner.token });
    expect(draft.data!.createDraft).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    // A write lands while Redis is down: its invalidation cannot reach Redis.
    await writeStateNow(app.services.db, character.id, { health: 42 });
    await announce(app.services, { type: 'characterChanged', playerId: owner.id });

    startRedis();
    await waitFor(async () => (await app.yoga.fetch('http://guildhall.test/ready')).status === 200);
    expect(await app.redisHandle.redis.exists(characterKey(character.id))).toBe(1); // the old entry is back…

    const after = await read(app, character.id);
    expect(after.response.data!.character!.health).toBe(42); // …and is not served
    expect(await app.redisHandle.redis.get(CACHE_EPOCH_KEY)).not.toBeNull();
    await waitFor(async () => (await read(app, character.id)).statements.length === 0);
    expect((await read(app, character.id)).response.data!.character!.health).toBe(42);
    expect((await app.gql(ViewerDocument, {}, { token: owner.token })).data!.viewer!.id).toBe(owner.id);

    const outageLogs = app.logLines.filter((line) => line.includes('Redis unreachable'));
    expect(outageLogs).toHaveLength(1);
  });
});
