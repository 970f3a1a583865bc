// Smoke test of the zero-setup mode: PGlite on disk and the in-process Redis stand-in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, parse, print } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../src/app.js';
import { characterKey, versionKey } from '../src/cache/keys.js';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { schema } from '../src/graphql/schema.js';
import { createLogger } from '../src/logger.js';
import { listen } from '../src/server/http.js';
import { drinksKey, playerDrinksKey } from '../src/tavern/tavern.js';
import {
  BondEssenceDocument,
  ChatMessagesDocument,
  CharacterNestedDocument,
  CreateCharacterDocument,
  RegisterDocument,
  SendChatMessageDocument,
  AssignDrinkDocument,
  JoinTavernGameDocument,
  StartTavernGameDocument,
  TavernGameEventsDocument,
} from './generated/graphql.js';
import { P2_QUERY } from './bench/workloads.js';
import { subscribeSse, subscribeWs } from './support/live.js';
import { waitUntil } from './support/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'guildhall-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function call(app: App, document: Parameters<typeof print>[0], variables: object, token?: string) {
  const response = await app.yoga.fetch('http://guildhall.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return response.json();
}

describe('embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  it('registers, creates a character and reads it back, and the character survives a restart', { timeout: 90_000 }, async () => {
    // Two PGlite starts (one preparing the database in a child process): slow when the whole suite shares the CPU.
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const config = loadConfig({ DATA_DIR: dataDir });

    const first = await startApp(config, log);
    const registered = await call(first, RegisterDocument, {
      input: { username: 'embedded_hero', email: 'hero@embedded.test', password: 'password123' },
    });
    const { token } = registered.data.register;
    expect(token).toEqual(expect.any(String));
    const created = await call(first, CreateCharacterDocument, { input: { name: 'Pglite Paladin' } }, token);
    const characterId = created.data.createCharacter.character.id;
    const read = await call(first, CharacterNestedDocument, { id: characterId });
    expect(read.data.character).toMatchObject({ name: 'Pglite Paladin', health: 100, player: { username: 'embedded_hero' } });
    // A page compiled to one statement runs on PGlite too, with graphql-js's bytes.
    const page = await first.yoga.fetch('http://guildhall.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: P2_QUERY }),
    });
    const contextValue = createContext(first.services, null, '127.0.0.1');
    const expected = await execute({ schema, document: parse(P2_QUERY), contextValue });
    expect(await page.text()).toBe(JSON.stringify({ data: expected.data }));
    expect(expected.data).toMatchObject({ characters: { edges: [{ node: { name: 'Pglite Paladin' } }] } });
    expect((await first.yoga.fetch('http://guildhall.test/ready')).status).toBe(200);
    await first.close();

    expect(lines.filter((line) => line.includes('in-process Redis stand-in'))).toHaveLength(1);

    const second = await startApp(config, log);
    const again = await call(second, CharacterNestedDocument, { id: characterId });
    expect(again.data.character).toMatchObject({ name: 'Pglite Paladin' });
    await second.close();
  });

  it("a bond's batched transaction runs on PGlite (five at once: four bonds, one refusal), and the stand-in's invalidation script drops the cached read", async () => {
    const app = await startApp(loadConfig({ DATA_DIR: dataDir }), createLogger('silent'));
    const registered = await call(app, RegisterDocument, {
      input: { username: 'embedded_mage', email: 'mage@embedded.test', password: 'password123' },
    });
    const { token } = registered.data.register;
    const characterId = (await call(app, CreateCharacterDocument, { input: { name: 'Pglite Mage' } }, token)).data.createCharacter.character
      .id;
    expect((await call(app, CharacterNestedDocument, { id: characterId })).data.character.essences).toEqual([]);
    const redis = app.services.redis;
    const version = async () => Number(await redis.get(versionKey(characterKey(characterId))));
    const before = await version();
    const bonds = await Promise.all(
      ['fire', 'wind', 'might', 'water', 'fire'].map((essenceType) =>
        call(app, BondEssenceDocument, { input: { characterId, essenceType, attribute: 'POWER' } }, token),
      ),
    );
    const answers = bonds.map((bond) => bond.data.bondEssence.__typename);
    expect(answers.filter((name) => name === 'BondEssencePayload')).toHaveLength(4);
    expect(bonds.map((bond) => bond.data.bondEssence.code).filter(Boolean)).toEqual([
      expect.stringMatching(/^(MAX_ESSENCES_REACHED|ESSENCE_ALREADY_BONDED)$/),
    ]);
    // Each bond dropped the character's cached reads and bumped their version, once.
    expect(await version()).toBe(before + 4);
    expect(['none', 'hash']).toContain(await redis.type(characterKey(characterId)));
    const read = (await call(app, CharacterNestedDocument, { id: characterId })).data.character;
    expect(read.essences.map((essence: { essenceType: string }) => essence.essenceType).sort()).toEqual(['fire', 'might', 'water', 'wind']);
    await app.close();
  });

  it("tavern drinks run the stand-in's script: each recorded once, counted, and delivered in-process to a subscriber", async () => {
    const app = await startApp(loadConfig({ DATA_DIR: dataDir }), createLogger('silent'));
    const http = await listen(app.yoga, 0, '127.0.0.1');
    const [host, guest] = await Promise.all(
      ['embedded_host', 'embedded_guest'].map(async (username) => {
        const registered = await call(app, RegisterDocument, {
          input: { username, email: `${username}@embedded.test`, password: 'password123' },
        });
        return registered.data.register as { token: string; player: { id: string } };
      }),
    );
    const gameId = (await call(app, StartTavernGameDocument, { channelId: 'embedded-tavern' }, host!.token)).data.startTavernGame.game.id;
    await call(app, JoinTavernGameDocument, { gameId }, guest!.token);
    const sub = subscribeSse(http.port, TavernGameEventsDocument, { gameId }, guest!.token);
    await waitUntil(() => app.services.events.openSubscriptions() === 1, 'the subscription to open', 10_000, 20);
    const drinks = await Promise.all(
      ['one', 'two', 'three'].map((reason) =>
        call(app, AssignDrinkDocument, { input: { gameId, toPlayerId: guest!.player.id, reason } }, host!.token),
      ),
    );
    expect(drinks.map((d) => d.data.assignDrink.__typename)).toEqual(['DrinkPayload', 'DrinkPayload', 'DrinkPayload']);
    expect(await app.services.redis.zcard(drinksKey(gameId))).toBe(3);
    expect(await app.services.redis.hget(playerDrinksKey(host!.player.id), 'assigned')).toBe('3');
    await sub.result(3, 2_000);
    expect(sub.results.map((r) => r.data?.tavernGameEvents.drink?.reason).sort()).toEqual(['one', 'three', 'two']);
    await sub.close();
    await http.close();
    await app.close();
  });

  it('chat subscriptions work in-process over both transports, with the rate limit on the stand-in', async () => {
    const app = await startApp(loadConfig({ DATA_DIR: dataDir }), createLogger('silent'));
    const http = await listen(app.yoga, 0, '127.0.0.1');
    const registered = await call(app, RegisterDocument, {
      input: { username: 'embedded_bard', email: 'bard@embedded.test', password: 'password123' },
    });
    const { token } = registered.data.register;
    const subs = [
      subscribeWs(http.port, ChatMessagesDocument, { channel: 'room:hearth' }, token),
      subscribeSse(http.port, ChatMessagesDocument, { channel: 'room:hearth' }, token),
    ];
    // Both must be open before the first message, or they miss it: wait for that, however long it takes here.
    await waitUntil(() => app.services.events.openSubscriptions() === 2, 'both subscriptions to open', 10_000, 20);
    const bodies = ['one', 'two', 'three', 'four', 'five', 'six'];
    const sent = [];
    for (const body of bodies)
      sent.push((await call(app, SendChatMessageDocument, { channel: 'room:hearth', body }, token)).data.sendChatMessage);
    expect(sent.map((r) => r.__typename)).toEqual([...Array(5).fill('ChatMessagePayload'), 'RateLimitedError']);
    for (const sub of subs) {
      await sub.result(5, 1_000);
      expect(sub.results.map((r) => r.data?.chatMessages.body)).toEqual(bodies.slice(0, 5));
      await sub.close();
    }
    await http.close();
    await app.close();
  });
});
