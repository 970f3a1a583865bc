// Whole-response cache hits over node:http are answered before Yoga (answerHitsFirst):
// one Redis round trip, under every freshness rule and limit of the Yoga path.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_EPOCH_KEY, characterKey, GAME_VERSION_KEY, RESPONSE_FIELD_PREFIX } from '../src/cache/keys.js';
import { publishGameVersion } from '../src/invalidation.js';
import { REQUEST_LIMITS } from '../src/limits.js';
import { listen, type HttpServer } from '../src/server/http.js';
import { BondEssenceDocument } from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';
import { waitUntil } from './support/wait.js';

const app = useTestApp();
let http: HttpServer;
beforeAll(async () => {
  http = await listen(app.yoga, 0, '127.0.0.1');
});
afterAll(() => http?.close());

const READ = `query FastRead($id: ID!) { character(id: $id) { id name essences { essenceType } player { id username } } }`;
const READ_EMAIL = `query FastEmail($id: ID!) { character(id: $id) { id player { id email } } }`;

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${http.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const read = async (query: string, id: string, token?: string) =>
  JSON.parse((await post(JSON.stringify({ query, variables: { id } }), token ? { authorization: `Bearer ${token}` } : {})).text);

/** The Redis commands run on this file's database while `work` runs, as `name key…`. */
async function redisCommandsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const database = Number(new URL(app.redisUrl).pathname.slice(1));
  const monitor = await app.redisHandle.redis.duplicate().monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], _source: string, db: string) => {
    if (Number(db) === database) seen.push(args.map((arg, i) => (i === 0 ? arg.toLowerCase() : arg)).join(' '));
  });
  await work();
  // A marker command on the same database: when MONITOR shows it, everything before it was seen.
  const marker = `fast-path-marker-${Math.random()}`;
  await app.redisHandle.redis.get(marker);
  await waitUntil(() => seen.some((line) => line.includes(marker)), 'MONITOR to show the marker');
  monitor.disconnect();
  return seen.filter((line) => !line.includes(marker));
}

describe('whole-response cache hits over HTTP', () => {
  it("each read's response is stored under response: and the SHA-1 of its operation name, printed document and variables, its own for each id", async () => {
    const owner = await registerPlayer(app);
    const characters = [await createCharacterFor(app, owner), await createCharacterFor(app, owner)];
    const printed = print(parse(READ));
    for (let round = 0; round < 2; round++) {
      for (const character of characters) {
        expect((await read(READ, character.id)).data.character.id).toBe(character.id);
        // `read` sends no operationName: the text starts with an empty one.
        const text = `\u0000${printed}\u0000${JSON.stringify({ id: character.id })}`;
        const stored = (await app.redisHandle.redis.hkeys(characterKey(character.id))).filter((field) =>
          field.startsWith(RESPONSE_FIELD_PREFIX),
        );
        expect(stored).toEqual([`${RESPONSE_FIELD_PREFIX}${createHash('sha1').update(text).digest('base64url')}`]);
      }
    }
  });

  it('a warm read is one command (a script reading the epoch, game:version and the entry), answered with the stored bytes', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const cold = await read(READ, character.id);
    expect(cold.data.character.name).toBe(character.name);
    const commands = await redisCommandsDuring(async () => expect(await read(READ, character.id)).toEqual(cold));
    // One command from the client (a script), which reads the three keys; the live-state flusher's polls aside.
    const reads = commands.filter((line) => !line.includes('live:pending'));
    expect(reads.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      expect.stringMatching(/^evalsha [0-9a-f]{40}$/),
      `get ${CACHE_EPOCH_KEY}`,
      `get ${GAME_VERSION_KEY}`,
      `hget character:${character.id}`,
    ]);
  });

  it('a committed write is seen by the next read: bondEssence, then the essence is in the response', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    await read(READ, character.id);
    expect((await read(READ, character.id)).data.character.essences).toEqual([]);
    const { data } = await app.gql(
      BondEssenceDocument,
      { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } },
      { token: owner.token },
    );
    expect(data?.bondEssence.__typename).toBe('BondEssencePayload');
    expect((await read(READ, character.id)).data.character.essences).toEqual([{ essenceType: 'fire' }]);
  });

  it('an entry of an older cache epoch, or of another game:version, is not answered', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const rename = (name: string) => app.database.db.execute(sql`update characters set name = ${name} where id = ${character.id}`);
    await read(READ, character.id);
    await read(READ, character.id);
    // Changed behind the cache's back: only the guards can make the next read see it.
    await rename(`${character.name}-a`);
    await app.redisHandle.redis.incr(CACHE_EPOCH_KEY);
    expect((await read(READ, character.id)).data.character.name).toBe(`${character.name}-a`);
    expect((await read(READ, character.id)).data.character.name).toBe(`${character.name}-a`);
    // The planned rows (not guarded by game:version) go too, so only the response's guard is tested.
    await rename(`${character.name}-b`);
    const key = characterKey(character.id);
    const planned = (await app.redisHandle.redis.hkeys(key)).filter((field) => !field.startsWith(RESPONSE_FIELD_PREFIX));
    expect(planned.length).toBeGreaterThan(0);
    await app.redisHandle.redis.hdel(key, ...planned);
    await publishGameVersion(app.redisHandle.redis, `fast-path-${Date.now()}`);
    expect((await read(READ, character.id)).data.character.name).toBe(`${character.name}-b`);
  });

  it('anonymous and signed-in readers never share an entry that shows email', async () => {
    const owner = await registerPlayer(app);
    const other = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    for (let round = 0; round < 2; round++) {
      expect((await read(READ_EMAIL, character.id)).data.character.player.email).toBeNull();
      expect((await read(READ_EMAIL, character.id, owner.token)).data.character.player.email).toBe(owner.email);
      expect((await read(READ_EMAIL, character.id, other.token)).data.character.player.email).toBeNull();
    }
  });

  it('the limits refuse as before: a body over 1 MiB, a document over the token limit, a body that is not JSON', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const body = JSON.stringify({ query: READ, variables: { id: character.id } });
    await post(body);
    expect((await post(body)).status).toBe(200);
    const padded = JSON.stringify({ query: READ + ' '.repeat(REQUEST_LIMITS.maxBodyBytes), variables: { id: character.id } });
    const tooLarge = await post(padded);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const many = `query FastRead($id: ID!) { character(id: $id) { id name essences { essenceType } player { id username } ${'__typename '.repeat(REQUEST_LIMITS.maxTokens)} } }`;
    const tooLong = JSON.parse((await post(JSON.stringify({ query: many, variables: { id: character.id } }))).text);
    expect(tooLong.errors[0].extensions.code).toBe('QUERY_LIMIT_EXCEEDED');
    expect((await post(body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(`${body.slice(0, -1)}`)).status).toBe(400);
  });
});
