import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_EPOCH_KEY } from '../src/cache/keys.js';
import { players } from '../src/db/schema.js';
import { importWorld, WorldDocumentError } from '../src/world/import.js';
import {
  AddInventoryItemsDocument,
  BondEssenceDocument,
  LiveUpdateDocument,
  LoginDocument,
  StartQuestDocument,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';

const dir = mkdtempSync(join(tmpdir(), 'guildhall-world-'));
let source: TestApp;
let target: TestApp;
let document: Record<string, Record<string, Record<string, unknown>>>;
const sourceFile = join(dir, 'source.json');

function worldCli(command: 'export' | 'import', file: string, app: TestApp) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/world/world-cli.ts', command, file], {
    env: { ...process.env, DATABASE_URL: app.databaseUrl, REDIS_URL: app.redisUrl, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  source = await startTestApp({ liveState: { flushMs: 100 } });
  target = await startTestApp();
  for (let p = 0; p < 2; p++) {
    const player = await registerPlayer(source);
    await source.gql(LoginDocument, { input: { login: player.username, password: player.password } });
    for (let c = 0; c < 2; c++) {
      const { id } = await createCharacterFor(source, player);
      const characterId = id;
      await source.gql(BondEssenceDocument, { input: { characterId, essenceType: 'fire', attribute: 'POWER' } }, { token: player.token });
      await source.gql(
        AddInventoryItemsDocument,
        { input: { characterId, items: [{ itemId: 'torch', quantity: 2 }] } },
        { token: player.token },
      );
      await source.gql(StartQuestDocument, { input: { characterId, questId: 'rat_cellar' } }, { token: player.token });
      await source.gql(LiveUpdateDocument, { input: { characterId, health: 42, currentRoomId: 'crypt' } }, { token: player.token });
    }
  }
  await source.services.liveStates.close(); // writes the pending live states
  expect(worldCli('export', sourceFile, source).status).toBe(0);
  document = JSON.parse(readFileSync(sourceFile, 'utf8'));
}, 120_000);
afterAll(async () => {
  await source.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

const countPlayers = async (app: TestApp) => (await app.database.db.select({ n: sql<number>`count(*)::int` }).from(players))[0]!.n;

describe('world export', () => {
  it('holds every application table, keyed by id (or primary key), with PostgreSQL column names, password hashes included', () => {
    expect(Object.keys(document).sort()).toEqual(
      expect.arrayContaining([
        'players',
        'characters',
        'character_essences',
        'character_abilities',
        'character_inventory',
        'character_quests',
        'items',
        'essence_types',
        'seed_versions',
      ]),
    );
    expect(Object.keys(document)).not.toContain('__drizzle_migrations');
    expect(Object.keys(document.players!)).toHaveLength(2);
    const [id, player] = Object.entries(document.players!)[0]!;
    expect(player).toMatchObject({ id, password_hash: expect.stringMatching(/^scrypt\$/), last_login: expect.any(String) });
    const character = Object.values(document.characters!)[0]!;
    expect(character).toMatchObject({
      health: 42,
      current_room_id: 'crypt',
      live_state_seq: expect.any(Number),
      player_id: expect.any(String),
    });
    expect(Object.keys(document.seed_versions!)).toContain('items');
    expect(document.seed_versions!.items).toMatchObject({ kind: 'items' });
  });
});

describe('world import', () => {
  it('export → import into an empty database → export is byte-identical, and the import drops the caches', async () => {
    const epochBefore = Number((await target.redisHandle.redis.get(CACHE_EPOCH_KEY)) ?? 0);
    const imported = worldCli('import', sourceFile, target);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(Number(await target.redisHandle.redis.get(CACHE_EPOCH_KEY))).toBeGreaterThan(epochBefore);
    const again = join(dir, 'again.json');
    expect(worldCli('export', again, target).status).toBe(0);
    expect(readFileSync(again).equals(readFileSync(sourceFile))).toBe(true);
  }, 120_000);

  it('refuses a database that already holds players or characters', async () => {
    await expect(importWorld(source.database.db, sourceFile)).rejects.toThrow(/players: the database already holds players/);
  });

  const broken: Array<[string, (doc: typeof document) => void, RegExp]> = [
    [
      'a dangling reference',
      (doc) => void (Object.values(doc.characters!)[0]!.player_id = '0d9f1f5e-0000-4000-8000-000000000001'),
      /characters "[^"]+": field "player_id": refers to players "0d9f1f5e-0000-4000-8000-000000000001"/,
    ],
    [
      'a wrong type',
      (doc) => void (Object.values(doc.characters!)[0]!.health = 'lots'),
      /characters "[^"]+": field "health": must be a 32-bit integer/,
    ],
    [
      'a bad timestamp',
      (doc) => void (Object.values(doc.players!)[0]!.created_at = 'yesterday'),
      /players "[^"]+": field "created_at": must be an ISO-8601 time string/,
    ],
    [
      'a missing field',
      (doc) => void delete Object.values(doc.character_inventory!)[0]!.quantity,
      /character_inventory "[^"]+": field "quantity": is missing/,
    ],
    [
      'an unknown field',
      (doc) => void (Object.values(doc.players!)[0]!.shoe_size = 44),
      /players "[^"]+": field "shoe_size": is not a column/,
    ],
    [
      'a null where the column is not null',
      (doc) => void (Object.values(doc.characters!)[0]!.name = null),
      /characters "[^"]+": field "name": must not be null/,
    ],
    [
      'a string too long for its column',
      (doc) => void (Object.values(doc.players!)[0]!.username = 'x'.repeat(51)),
      /players "[^"]+": field "username": must be at most 50 characters/,
    ],
    [
      'a key that does not match its row',
      (doc) => void (doc.players!['not-the-id'] = Object.values(doc.players!)[0]!),
      /players "not-the-id": field "id": does not match the key/,
    ],
    [
      'an unknown collection',
      (doc) => void ((doc as Record<string, unknown>).dragons = { smaug: { id: 'smaug' } }),
      /dragons: not a collection/,
    ],
    [
      'a row that is not an object',
      (doc) => void ((doc.items as Record<string, unknown>).torch = 7),
      /items "torch": must be an object of fields/,
    ],
    [
      'a bad id',
      (doc) => void (Object.values(doc.character_quests!)[0]!.character_id = 'nope'),
      /character_quests "[^"]+": field "character_id": must be a UUID string/,
    ],
  ];

  it.each(broken)('refuses %s, naming collection, key and field, and writes nothing', async (_label, breakIt, message) => {
    const doc = JSON.parse(JSON.stringify(document)) as typeof document;
    breakIt(doc);
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(doc));
    const fresh = await startTestApp();
    try {
      const refusal = await importWorld(fresh.database.db, file).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(WorldDocumentError);
      expect((refusal as WorldDocumentError).message).toMatch(message);
      expect(await countPlayers(fresh)).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('refuses text that is not JSON, or not an object of collections, and the CLI exits 1 with the reason', async () => {
    const fresh = await startTestApp();
    try {
      const truncated = join(dir, 'truncated.json');
      writeFileSync(truncated, readFileSync(sourceFile, 'utf8').slice(0, 5000));
      await expect(importWorld(fresh.database.db, truncated)).rejects.toThrow(/not valid JSON/);
      const list = join(dir, 'list.json');
      writeFileSync(list, '[1, 2]');
      await expect(importWorld(fresh.database.db, list)).rejects.toThrow(/must be a JSON object keyed by collection/);
      const cli = worldCli('import', truncated, fresh);
      expect(cli.status).toBe(1);
      expect(cli.stderr).toMatch(/refused; nothing was written/);
      expect(await countPlayers(fresh)).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
