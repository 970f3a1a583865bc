// Mutations Yoga has validated and run are answered again on node:http without Yoga
// (src/server/known-mutations.ts): the same answers, every check kept, each write made once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterEssences } from '../src/essences/tables.js';
import { listen, type HttpServer } from '../src/server/http.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';

const app = useTestApp();
let http: HttpServer;
beforeAll(async () => {
  http = await listen(app.yoga, 0, '127.0.0.1');
});
afterAll(() => http?.close());

const BOND = `mutation KnownBond($input: BondEssenceInput!) {
  bondEssence(input: $input) { __typename ... on BondEssencePayload { essence { id essenceType } } ... on Error { code message } }
}`;

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

const bodyOf = (query: string, variables: object, operationName?: string) => JSON.stringify({ query, variables, operationName });
const headersOf = (token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

/** Over node:http, where a known mutation is answered before Yoga. */
async function overHttp(body: string, token?: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${http.port}/graphql`, { method: 'POST', headers: headersOf(token), body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** Through Yoga alone (its fetch API), as the request would be answered without the early lane. */
async function throughYoga(body: string, token?: string): Promise<Answer> {
  const response = await app.yoga.fetch('http://guildhall.test/graphql', { method: 'POST', headers: headersOf(token), body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

async function answeredBeforeYoga(): Promise<number> {
  const metric = await app.services.metrics.answeredBeforeYoga.get();
  return metric.values.find((value) => value.labels.way === 'mutation')?.value ?? 0;
}

const storedTypes = async (characterId: string) =>
  (await app.database.db.select().from(characterEssences).where(eq(characterEssences.characterId, characterId)))
    .map((row) => row.essenceType)
    .sort();

describe('known mutations over HTTP', () => {
  it('after Yoga has run a mutation, the same operation is answered before Yoga, each request writing once, with its own viewer', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const bond = (essenceType: string, token = owner.token) =>
      overHttp(bodyOf(BOND, { input: { characterId: character.id, essenceType, attribute: 'POWER' } }), token);
    const first = await bond('fire');
    expect(JSON.parse(first.text).data.bondEssence).toMatchObject({ __typename: 'BondEssencePayload', essence: { essenceType: 'fire' } });
    const before = await answeredBeforeYoga();
    const answers = await Promise.all(['water', 'earth', 'wind'].map((type) => bond(type)));
    expect(await answeredBeforeYoga()).toBe(before + 3);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const essences = answers.map((answer) => JSON.parse(answer.text).data.bondEssence.essence);
    expect(essences.map((essence) => essence.essenceType)).toEqual(['water', 'earth', 'wind']);
    expect(await storedTypes(character.id)).toEqual(['earth', 'fire', 'water', 'wind']);
    // Another player's token is another viewer: refused, nothing written.
    const stranger = await registerPlayer(app);
    expect(JSON.parse((await bond('might', stranger.token)).text).data.bondEssence).toMatchObject({ code: 'FORBIDDEN' });
    expect(JSON.parse((await bond('might', '')).text).data.bondEssence).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await storedTypes(character.id)).toEqual(['earth', 'fire', 'water', 'wind']);
  });

  it('answers exactly what Yoga answers: status, content type and bytes of a typed refusal', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const refused = bodyOf(BOND, { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } });
    await overHttp(refused, owner.token); // bonds fire: from now on the same request is ESSENCE_ALREADY_BONDED
    const before = await answeredBeforeYoga();
    const early = await overHttp(refused, owner.token);
    expect(await answeredBeforeYoga()).toBe(before + 1);
    expect(early).toEqual(await throughYoga(refused, owner.token));
    expect(JSON.parse(early.text).data.bondEssence.code).toBe('ESSENCE_ALREADY_BONDED');
  });

  it('a result with errors is masked as Yoga masks it and sent through Yoga, and its resolver runs once', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const body = bodyOf(BOND, { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } });
    // A fault in our own code (not in PostgreSQL or Redis): reading the achievements throws before anything is written.
    const reference = app.services.reference;
    const all = reference.all.bind(reference);
    let calls = 0;
    reference.all = (async () => {
      calls++;
      throw new Error('secret detail at /srv/guildhall/src/reference/cache.ts:42');
    }) as typeof reference.all;
    try {
      await overHttp(body, owner.token); // Yoga runs it first, and keeps it
      calls = 0;
      const early = await overHttp(body, owner.token);
      expect(calls).toBe(1);
      expect(early).toEqual(await throughYoga(body, owner.token));
      expect(JSON.parse(early.text)).toMatchObject({ errors: [{ message: 'Unexpected error.', path: ['bondEssence'] }], data: null });
      expect(early.text).not.toContain('secret');
    } finally {
      reference.all = all;
    }
    expect(await storedTypes(character.id)).toEqual([]);
  });

  it("variables that do not coerce, or hold text PostgreSQL refuses, get Yoga's refusal and write nothing", async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    await overHttp(bodyOf(BOND, { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } }), owner.token);
    const before = await answeredBeforeYoga();
    for (const input of [
      { characterId: character.id, essenceType: 7, attribute: 'POWER' },
      { characterId: character.id, essenceType: 'water', attribute: 'STRENGTH' },
      { characterId: character.id, essenceType: 'wa\u0000ter', attribute: 'POWER' },
    ]) {
      const body = bodyOf(BOND, { input });
      const early = await overHttp(body, owner.token);
      expect(early.status).toBe(400);
      expect(early).toEqual(await throughYoga(body, owner.token));
    }
    expect(await answeredBeforeYoga()).toBe(before);
    expect(await storedTypes(character.id)).toEqual(['fire']);
  });

  it('a mutation whose literal text the request guard refuses is never kept: every request is refused by Yoga', async () => {
    const owner = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    const literal = JSON.stringify({
      query: `mutation { bondEssence(input: { characterId: "${character.id}", essenceType: "fi\\u0000re", attribute: POWER }) { __typename } }`,
    });
    const before = await answeredBeforeYoga();
    for (let i = 0; i < 2; i++) {
      const answer = await overHttp(literal, owner.token);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('VALIDATION');
    }
    expect(await answeredBeforeYoga()).toBe(before);
    expect(await storedTypes(character.id)).toEqual([]);
  });
});

describe('SQL statements per operation (the metrics)', () => {
  /** The sum and count the metrics hold for an operation's SQL statements. */
  async function sqlMetric(operation: string): Promise<{ sum: number; count: number }> {
    const values = (await app.services.metrics.sqlStatements.get()).values.filter((value) => value.labels.operation === operation);
    const of = (suffix: string) =>
      values.find((value) => value.metricName === `guildhall_sql_statements_per_operation_${suffix}`)?.value ?? 0;
    return { sum: of('sum'), count: of('count') };
  }

  it('each request counts its own statements, with requests that run SQL and requests that run none answered at once', async () => {
    const owner = await registerPlayer(app);
    const stranger = await registerPlayer(app);
    const character = await createCharacterFor(app, owner);
    // A stranger's bond is refused under the character's lock: a fixed number of statements, nothing written.
    const refusedBond = bodyOf(
      BOND.replace('KnownBond', 'MetricsRefusedBond'),
      { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } },
      'MetricsRefusedBond',
    );
    const START = 'mutation MetricsStartGame($c: String!) { startTavernGame(channelId: $c) { __typename } }';
    const startGame = (n: number) => bodyOf(START, { c: `metrics-${owner.id.slice(0, 8)}-${n}` }, 'MetricsStartGame');
    // Yoga runs each once (so both are known); the metrics count what one refused bond runs on
    // the request's handle (a reference-data fill on the shared cache, if any, is not the request's).
    const yogaBefore = await sqlMetric('MetricsRefusedBond');
    expect(JSON.parse((await throughYoga(refusedBond, stranger.token)).text).data.bondEssence.code).toBe('FORBIDDEN');
    const yogaAfter = await sqlMetric('MetricsRefusedBond');
    expect(yogaAfter.count - yogaBefore.count).toBe(1);
    const perBond = yogaAfter.sum - yogaBefore.sum;
    expect(perBond).toBeGreaterThan(0);
    await overHttp(startGame(0), owner.token);
    const [bondsBefore, startsBefore] = [await sqlMetric('MetricsRefusedBond'), await sqlMetric('MetricsStartGame')];
    const before = await answeredBeforeYoga();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? overHttp(refusedBond, stranger.token) : overHttp(startGame(i), owner.token))),
    );
    expect(await answeredBeforeYoga()).toBe(before + 6);
    const [bonds, starts] = [await sqlMetric('MetricsRefusedBond'), await sqlMetric('MetricsStartGame')];
    expect({ count: bonds.count - bondsBefore.count, sum: bonds.sum - bondsBefore.sum }).toEqual({ count: 3, sum: 3 * perBond });
    // A game lives in Redis only: its requests count none of the bonds' statements.
    expect({ count: starts.count - startsBefore.count, sum: starts.sum - startsBefore.sum }).toEqual({ count: 3, sum: 0 });
  });

  it('no serving code enters an AsyncLocalStorage scope (Node would then run a hook on every promise): only tests and tools do', () => {
    const root = fileURLToPath(new URL('../src/', import.meta.url));
    const entering = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== join('db', 'statement-log.ts'))
      .filter((file) =>
        /new AsyncLocalStorage|runWithStatementLog\(|collectStatements\(|\.enterWith\(/.test(readFileSync(join(root, file), 'utf8')),
      );
    expect(entering).toEqual([]);
  });
});
