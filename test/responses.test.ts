// Responses are pinned byte for byte: the status, the content type and the body of P1 and
// P2 (the benchmark's documents), with and without fragments, and of errors, against
// bodies stored in test/expected/responses/ from a deterministic fixture. Each request is
// sent twice (the second is answered from the cache where one applies), through Yoga and
// through the node:http server main.ts runs, so no fast path can change a byte.
// UPDATE_EXPECTED=1 npx vitest run test/responses.test.ts records the bodies anew.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type HttpServer } from '../src/server/http.js';
import { loadFixture } from './bench/fixture.js';
import { P1_QUERY, P2_QUERY } from './bench/workloads.js';
import { useTestApp } from './support/harness.js';

const app = useTestApp();
let http: HttpServer;
beforeAll(async () => {
  await loadFixture(app.database.db, '', 20);
  http = await listen(app.yoga, 0, '127.0.0.1');
});
afterAll(() => http?.close());

// md5('Hero bench_1-1')::uuid and md5('Hero bench_2-3')::uuid, as the fixture derives them.
const FIRST = '5513bf62-f118-e148-e31c-62c6beba389f';
const SECOND = '0deb7d5d-59b0-07bc-f1c1-7df3a11919a8';

const P1_FRAGMENTS = `query BenchP1Fragments($id: ID!) {
  character(id: $id) {
    ...Sheet
    essences { ...Essence }
    ... on Character { abilities { ...Ability } inventory { id itemId quantity slot } }
  }
}
fragment Sheet on Character { id name rank health mana stamina attributes { power speed spirit recovery } player { id username } }
fragment Essence on Essence { id essenceType attributeBound rankBonded abilities { ...Ability } }
fragment Ability on Ability { id abilityName currentRank awakened }`;

const P2_FRAGMENTS = `query BenchP2Fragments {
  characters(first: 50) {
    edges { node { ...Row player { ...Owner } essences { id ... on Essence { essenceType abilities { id abilityName } } } } }
  }
}
fragment Row on Character { id name rank attributes { ...Stats } inventory { id itemId quantity slot } }
fragment Stats on Attributes { power speed spirit recovery }
fragment Owner on Player { id username }`;

const P1_EMAIL = `query OwnerEmail($id: ID!) { character(id: $id) { id name player { id username email } } }`;

interface Case {
  name: string;
  body: () => unknown;
  headers?: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'p1', body: () => ({ query: P1_QUERY, variables: { id: FIRST }, operationName: 'BenchP1' }) },
  { name: 'p1-no-operation-name', body: () => ({ query: P1_QUERY, variables: { id: SECOND } }) },
  { name: 'p1-fragments', body: () => ({ query: P1_FRAGMENTS, variables: { id: FIRST } }) },
  { name: 'p1-email-anonymous', body: () => ({ query: P1_EMAIL, variables: { id: FIRST } }) },
  {
    name: 'p1-graphql-response-accept',
    body: () => ({ query: P1_QUERY, variables: { id: FIRST }, operationName: 'BenchP1' }),
    headers: { accept: 'application/graphql-response+json' },
  },
  { name: 'p1-accept-any', body: () => ({ query: P1_QUERY, variables: { id: FIRST } }), headers: { accept: '*/*' } },
  { name: 'p1-accept-json', body: () => ({ query: P1_QUERY, variables: { id: FIRST } }), headers: { accept: 'application/json' } },
  { name: 'p1-cross-origin', body: () => ({ query: P1_QUERY, variables: { id: FIRST } }), headers: { origin: 'http://client.test' } },
  { name: 'p1-unknown-character', body: () => ({ query: P1_QUERY, variables: { id: '00000000-0000-4000-8000-000000000000' } }) },
  { name: 'p2', body: () => ({ query: P2_QUERY, operationName: 'BenchP2' }) },
  { name: 'p2-fragments', body: () => ({ query: P2_FRAGMENTS }) },
  { name: 'error-invalid-id', body: () => ({ query: P1_QUERY, variables: { id: 'not-a-uuid' } }) },
  { name: 'error-missing-variable', body: () => ({ query: P1_QUERY, variables: {} }) },
  { name: 'error-unknown-field', body: () => ({ query: '{ character(id: "x") { id nickname } }' }) },
  { name: 'error-syntax', body: () => ({ query: '{ character(id: ' }) },
];

const expectedFile = (name: string) => join(import.meta.dirname, 'expected', 'responses', `${name}.body`);

/** The first line holds the status and content type, the rest is the body as sent. */
const render = (status: number, contentType: string | null, body: string) => `${status} ${contentType}\n${body}`;

async function viaYoga(testCase: Case): Promise<string> {
  const response = await app.yoga.fetch('http://guildhall.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...testCase.headers },
    body: JSON.stringify(testCase.body()),
  });
  return render(response.status, response.headers.get('content-type'), await response.text());
}

/** Over HTTP: the rendering, and every header but the date. */
async function viaHttp(testCase: Case): Promise<{ rendered: string; headers: string[][] }> {
  const response = await fetch(`http://127.0.0.1:${http.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...testCase.headers },
    body: JSON.stringify(testCase.body()),
  });
  const headers = [...response.headers].filter(([name]) => name !== 'date');
  return { rendered: render(response.status, response.headers.get('content-type'), await response.text()), headers };
}

describe('responses are byte-identical to the stored ones', () => {
  for (const testCase of CASES) {
    it(`${testCase.name}: the same status, headers and bytes, cold and warm, over HTTP and through Yoga`, async () => {
      await app.redisHandle.redis.flushdb();
      const cold = await viaHttp(testCase);
      const file = expectedFile(testCase.name);
      if (process.env.UPDATE_EXPECTED === '1') writeFileSync(file, cold.rendered);
      expect(existsSync(file), `${file} is missing: record it with UPDATE_EXPECTED=1`).toBe(true);
      const expected = readFileSync(file, 'utf8');
      expect(cold.rendered).toBe(expected);
      const warm = await viaHttp(testCase);
      expect(warm.rendered).toBe(expected);
      expect(warm.headers).toEqual(cold.headers);
      expect(await viaYoga(testCase)).toBe(expected);
      expect(await viaYoga(testCase)).toBe(expected);
    });
  }
});
