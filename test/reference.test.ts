import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/context.js';
import { collectStatements } from '../src/db/statement-log.js';
import { characterInventory } from '../src/inventory/tables.js';
import { createLogger } from '../src/logger.js';
import { connectRedis } from '../src/redis/client.js';
import { GAME_VERSION_KEY, REFERENCE_TTL_SECONDS } from '../src/cache/keys.js';
import { KIND_NAMES, KINDS } from '../src/reference/kinds.js';
import { SEEDS_DIR, seedReferenceData } from '../src/reference/seed.js';
import { enemies, items, seedVersions } from '../src/reference/tables.js';
import { readSeeds, SeedValidationError } from '../src/reference/validate.js';
import { createServer } from '../src/server/yoga.js';
import {
  CharacterInventoryItemsDocument,
  EnemyByIdDocument,
  GameDataVersionDocument,
  ItemByIdDocument,
  ItemsDocument,
  ReferenceCountsDocument,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';

const app = useTestApp();
const tmpDirs: string[] = [];
afterAll(async () => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

const silent = createLogger('silent');
const WRITE = /^\s*(insert|update|delete)\b/i;

/** A copy of seeds/ with one file edited. */
function seedsWith(file: string, edit: (json: { version: string; data: Array<Record<string, any>> }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-seeds-'));
  tmpDirs.push(dir);
  cpSync(SEEDS_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  edit(json);
  writeFileSync(join(dir, file), JSON.stringify(json));
  return dir;
}

const seed = (dir?: string) => seedReferenceData(app.database.db, app.redisHandle.redis, silent, dir);

describe('GraphQL reads', () => {
  it('serves every kind in the counts the seed files hold', async () => {
    const { data } = await app.gql(ReferenceCountsDocument, {});
    const counts = Object.fromEntries(
      Object.entries(data!)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => [k, (v as unknown[]).length]),
    );
    expect(counts).toEqual({
      enemies: 28,
      bosses: 8,
      items: 23,
      races: 5,
      classes: 4,
      themes: 8,
      traps: 4,
      hazards: 4,
      elements: 6,
      achievements: 10,
      essenceTypes: 12,
    });
    expect(data!.gameDataVersion).toMatch(/^[0-9a-f]{12}$/);
  });

  it('serves a record by id with its references resolved, and null for an unknown id', async () => {
    const { data } = await app.gql(EnemyByIdDocument, { id: 'cave_goblin' });
    const enemy = data!.enemy!;
    expect(enemy.id).toBe('cave_goblin');
    expect(enemy.element?.id).toEqual(expect.any(String));
    expect(enemy.loot.length).toBeGreaterThan(0);
    for (const drop of enemy.loot) expect(drop.item?.id).toBe(drop.itemId);
    expect((await app.gql(ItemByIdDocument, { id: 'no_such_item' })).data?.item).toBeNull();
    expect((await app.gql(ItemByIdDocument, { id: 'torch' })).data?.item).toMatchObject({
      id: 'torch',
      type: 'CONSUMABLE',
      stackable: true,
      equipmentSlot: null,
    });
  });

  it('an inventory stack resolves its item record', async () => {
    const character = await createCharacterFor(app, await registerPlayer(app));
    await app.database.db.insert(characterInventory).values([
      { characterId: character.id, itemId: 'torch', quantity: 2 },
      { characterId: character.id, itemId: 'iron_ore', quantity: 7 },
      { characterId: character.id, itemId: 'retired_item', quantity: 1 },
    ]);
    const { data } = await app.gql(CharacterInventoryItemsDocument, { id: character.id });
    const byId = Object.fromEntries(data!.character!.inventory.map((stack) => [stack.itemId, stack.item]));
    expect(byId.torch).toMatchObject({ id: 'torch', stackable: true });
    expect(byId.iron_ore).toMatchObject({ id: 'iron_ore', stackable: true });
    expect(byId.retired_item).toBeNull();
  });
});

describe('the Redis cache', () => {
  it('a miss fills game:items from PostgreSQL with a 24 hour TTL; the next read issues no SQL', async () => {
    const redis = app.redisHandle.redis;
    await redis.del('game:items');
    const cold = await app.gqlCounted(ItemsDocument, {});
    expect(cold.statements.length).toBeGreaterThan(0);
    expect(await redis.hlen('game:items')).toBe(23 + 1); // the records and the loaded marker
    expect(JSON.parse((await redis.hget('game:items', 'torch'))!)).toMatchObject({ id: 'torch', max_stack: expect.any(Number) });
    const ttl = await redis.ttl('game:items');
    expect(ttl).toBeGreaterThan(REFERENCE_TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(REFERENCE_TTL_SECONDS);

    const warm = await app.gqlCounted(ItemsDocument, {});
    expect(warm.statements).toHaveLength(0);
    expect(warm.response.data!.items).toEqual(cold.response.data!.items);
  });

  it('an unreadable cached record is never served: the read goes to PostgreSQL', async () => {
    await app.gql(ItemsDocument, {});
    await app.redisHandle.redis.hset('game:items', 'torch', '{not json');
    const { data } = await app.gql(ItemByIdDocument, { id: 'torch' });
    expect(data!.item).toMatchObject({ id: 'torch', stackable: true });
    const list = await app.gql(ItemsDocument, {});
    expect(list.data!.items).toHaveLength(23);
    await app.redisHandle.redis.del('game:items');
  });

  it('records parsed from the cache are shared frozen, and a record whose cached text changed is read anew', async () => {
    const reference = app.services.reference;
    await reference.all('items');
    const [first] = await reference.byIds('items', ['torch']);
    const [again] = await reference.byIds('items', ['torch']);
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { max_stack: number }).max_stack = 1;
    }).toThrow(TypeError);
    const changed = { ...first, name: 'Torch, renamed in the cache' };
    await app.redisHandle.redis.hset('game:items', 'torch', JSON.stringify(changed));
    expect(await reference.byIds('items', ['torch'])).toEqual([changed]);
    expect((await reference.all('items')).find((item) => item.id === 'torch')).toEqual(changed);
    await app.redisHandle.redis.del('game:items');
  });

  it('with Redis unreachable, reads come from PostgreSQL and nothing fails', async () => {
    const deadRedis = await connectRedis('redis://127.0.0.1:1', silent);
    const yoga = createServer(createServices(app.database.db, deadRedis.redis, silent), { probes: {} });
    const response = await yoga.fetch('http://guildhall.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gameDataVersion items { id } enemy(id: "cave_goblin") { loot { item { id } } } }' }),
    });
    const body = await response.json();
    expect(body.errors).toBeUndefined();
    expect(body.data.items).toHaveLength(23);
    expect(body.data.enemy.loot.length).toBeGreaterThan(0);
    expect(body.data.gameDataVersion).toMatch(/^[0-9a-f]{12}$/);
    await deadRedis.close();
  });

  it('a seed run that changes data invalidates the cached copies and publishes a new game:version', async () => {
    const redis = app.redisHandle.redis;
    await app.gql(ItemsDocument, {});
    const before = (await app.gql(GameDataVersionDocument, {})).data!.gameDataVersion;
    expect(await redis.exists('game:items')).toBe(1);
    await redis.set('game:3f1e6b7c-tavern', '{"a tavern game":"must survive"}');

    const renamed = seedsWith('items.json', (json) => {
      json.data.find((item) => item.id === 'torch')!.name = 'Everburning Torch';
    });
    const { report } = await seed(renamed);
    expect(report.items).toEqual({ inserted: 0, updated: 1, deleted: 0, unchanged: 22 });
    expect(await redis.exists('game:items')).toBe(0);
    expect(await redis.get('game:3f1e6b7c-tavern')).not.toBeNull();
    const after = await redis.get(GAME_VERSION_KEY);
    expect(after).not.toBe(before);
    expect((await app.gql(GameDataVersionDocument, {})).data!.gameDataVersion).toBe(after);
    expect((await app.gql(ItemByIdDocument, { id: 'torch' })).data!.item!.name).toBe('Everburning Torch');

    await seed(); // back to the committed files
    expect((await app.gql(ItemByIdDocument, { id: 'torch' })).data!.item!.name).not.toBe('Everburning Torch');
  });
});

describe('db:seed', () => {
  it('into empty tables inserts every record; a second run writes nothing (no INSERT, UPDATE or DELETE)', async () => {
    const db = app.database.db;
    for (const kind of KIND_NAMES) await db.delete(KINDS[kind].table);
    await db.delete(seedVersions);

    const first = await collectStatements(() => seed());
    for (const kind of KIND_NAMES) {
      const expected = JSON.parse(readFileSync(join(SEEDS_DIR, KINDS[kind].file), 'utf8')).data.length;
      expect(first.result.report[kind]).toEqual({ inserted: expected, updated: 0, deleted: 0, unchanged: 0 });
    }
    expect(first.statements.filter((s) => WRITE.test(s)).length).toBeGreaterThan(0);
    expect(await db.$count(seedVersions)).toBe(KIND_NAMES.length);

    const second = await collectStatements(() => seed());
    expect(second.statements.filter((s) => WRITE.test(s))).toEqual([]);
    for (const kind of KIND_NAMES) {
      expect(second.result.report[kind]).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    }
    expect(second.result.version).toBe(first.result.version);
  });

  it('deletes records removed from a file', async () => {
    const without = seedsWith('enemies.json', (json) => {
      json.data = json.data.filter((enemy) => enemy.id !== 'tunnel_bat');
    });
    // Themes reference tunnel_bat, so remove it there as well for the files to stay consistent.
    const themes = JSON.parse(readFileSync(join(without, 'themes.json'), 'utf8'));
    for (const theme of themes.data) theme.enemies = theme.enemies.filter((id: string) => id !== 'tunnel_bat');
    writeFileSync(join(without, 'themes.json'), JSON.stringify(themes));

    const { report } = await seed(without);
    expect(report.enemies).toEqual({ inserted: 0, updated: 0, deleted: 1, unchanged: 27 });
    expect(await app.database.db.select().from(enemies).where(eq(enemies.id, 'tunnel_bat'))).toEqual([]);
    expect((await app.gql(ReferenceCountsDocument, {})).data!.enemies).toHaveLength(27);

    const restored = await seed();
    expect(restored.report.enemies).toMatchObject({ inserted: 1, deleted: 0 });
  });

  it.each([
    [
      'a missing field',
      'items.json',
      (json: any) => delete json.data[3].max_stack,
      /^items\.json: record 3 \(id "antidote"\): field "max_stack": /,
    ],
    [
      'a wrong type',
      'enemies.json',
      (json: any) => (json.data[0].level = '1'),
      /^enemies\.json: record 0 \(id "giant_rat"\): field "level": .*number/,
    ],
    [
      'a duplicate id',
      'races.json',
      (json: any) => (json.data[2].id = json.data[0].id),
      /^races\.json: record 2 \(id "human"\): field "id": duplicate id, already used by record 0$/,
    ],
    [
      'a malformed version',
      'bosses.json',
      (json: any) => (json.version = '1.0'),
      /^bosses\.json: field "version": must be a semantic version/,
    ],
    [
      'an unknown item',
      'enemies.json',
      (json: any) => (json.data[1].loot[0].item_id = 'gold_bar'),
      /^enemies\.json: record 1 \(id "cave_goblin"\): field "loot\[0\]\.item_id": unknown items id "gold_bar"$/,
    ],
    [
      'an unknown ability',
      'bosses.json',
      (json: any) => (json.data[0].phases[0].abilities[0] = 'Moonbeam'),
      /^bosses\.json: record 0 \(id "grubnak_goblin_king"\): field "phases\[0\]\.abilities\[0\]": unknown ability "Moonbeam"$/,
    ],
  ])('refuses %s, naming file, record and field, and writes nothing', async (_label, file, edit, problem) => {
    const dir = seedsWith(file, edit);
    const error = await readSeeds(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedValidationError);
    expect((error as SeedValidationError).problems).toEqual([expect.stringMatching(problem)]);

    const before = await app.database.db.select().from(items);
    const { result, statements } = await collectStatements(() =>
      seed(dir).then(
        () => 'applied',
        (e: unknown) => e,
      ),
    );
    expect(result).toBeInstanceOf(SeedValidationError);
    expect(statements).toEqual([]);
    expect(await app.database.db.select().from(items)).toEqual(before);
  });

  it('the command prints per-file counts, and exits 1 naming the problem when a file is broken', () => {
    const env = { ...process.env, DATABASE_URL: app.databaseUrl, REDIS_URL: app.redisUrl };
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'src/reference/seed-cli.ts'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^enemies\.json\s+inserted 0 {2}updated 0 {2}deleted 0 {2}unchanged 28$/m);

    const broken = seedsWith('traps.json', (json) => delete json.data[2]!.damage);
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'src/reference/seed-cli.ts', '--dir', broken], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('nothing was written');
    expect(refused.stderr).toMatch(/traps\.json: record 2 \(id "\w+"\): field "damage"/);
  });
});
