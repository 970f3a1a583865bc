import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/context.js';
import { createLogger } from '../src/logger.js';
import { createServer, type GuildhallYoga } from '../src/server/yoga.js';
import { startTestApp, type TestApp } from './support/harness.js';

// Generated attacks on /graphql, in memory through yoga.fetch: documents, variables and raw
// bodies. Every answer must be a 4xx or 2xx without a stack trace, and no error may quote
// a value the request carried (every generated value contains SECRET).
let app: TestApp;
/** The same server without the harness's trace-level log capture, which would dominate the run time. */
let yoga: GuildhallYoga;
let requests = 0;
beforeAll(async () => {
  app = await startTestApp();
  yoga = createServer(createServices(app.database.db, app.redisHandle.redis, createLogger('silent')), { probes: {} });
});
afterAll(async () => {
  console.info(`fuzz: ${requests} requests`);
  await yoga.dispose();
  await app.close();
});

const URL = 'http://guildhall.test/graphql';
const secret = fc.tuple(fc.string({ maxLength: 12 }), fc.stringMatching(/^[A-Za-z0-9]{1,8}$/)).map(([a, b]) => `${a}SECRET${b}`);
const quoted = secret.map((s) => JSON.stringify(s));

const WORDS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  '!',
  '$id',
  '$input',
  '...',
  'on',
  'query',
  'mutation',
  'subscription',
  'fragment F',
  'character',
  'characters',
  'player',
  'viewer',
  'edges',
  'node',
  'id',
  'name',
  'first:',
  'id:',
  'input:',
  'login',
  'register',
  'createCharacter',
  'gameDataVersion',
  '__schema',
  '__typename',
  '@include(if: true)',
  '@skip(if: $x)',
  '1',
  '-1',
  '1e999',
  '3.5',
  'true',
  'null',
  '"',
  '"""',
  '#',
  '\n',
  'a:',
  'b:',
  'ID!',
  'String',
  '=',
  '|',
  '&',
  '\\u0000',
];
const tokens = fc.array(fc.oneof(fc.constantFrom(...WORDS), quoted), { maxLength: 60 }).map((parts) => parts.join(' '));
const deep = fc
  .record({ depth: fc.integer({ min: 1, max: 30_000 }), open: fc.constantFrom('{ a ', '[', 'character(id: ', '{ character { player { ') })
  .map(({ depth, open }) => `{ x(v: "SECRET") ${open.repeat(depth)} }`);
const aliases = fc
  .integer({ min: 1, max: 2_000 })
  .map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: gameDataVersion`).join(' ')} }`);
const document = fc.oneof(
  tokens,
  deep,
  aliases,
  fc.string({ maxLength: 200 }),
  quoted.map((q) => `{ character(id: ${q}) { id name } }`),
);

const OPERATIONS = [
  'mutation ($input: LoginInput!) { login(input: $input) { __typename } }',
  'query ($id: ID!) { character(id: $id) { id name } }',
  'query ($first: Int, $after: String) { characters(first: $first, after: $after) { edges { node { id } } } }',
  'query ($channelId: String!) { tavernGameByChannel(channelId: $channelId) { id } }',
  'mutation ($input: DraftInput!) { createDraft(input: $input) { __typename } }',
  'query ($since: DateTime) { activeTavernGames { drinks(since: $since) { id } } }',
];
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, secret, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(
    fc.constantFrom('input', 'id', 'login', 'password', 'first', 'after', 'name', 'race', 'channelId', 'since', 'email', 'username'),
    tie('value'),
    { maxKeys: 4 },
  ),
})).object;

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
];
const body = fc.oneof(
  secret,
  fc.string({ maxLength: 300 }).map((s) => `${s}SECRET`),
  fc
    .record({
      query: fc.oneof(document, secret, fc.integer()),
      variables: fc.oneof(json, secret),
      operationName: fc.oneof(secret, fc.constant(undefined)),
      extensions: fc.oneof(json, fc.constant(undefined)),
    })
    .map((b) => JSON.stringify(b)),
  fc.integer({ min: 1, max: 40_000 }).map((n) => `${'['.repeat(n)}"SECRET"${']'.repeat(n)}`),
);

async function send(init: RequestInit, url = URL) {
  requests++;
  const response = await yoga.fetch(url, init);
  return { status: response.status, text: await response.text() };
}

/** The response's error part (the whole text when it is not JSON): where an echo would be a leak. */
function errorsOf(text: string): string {
  try {
    const parsed = JSON.parse(text);
    return JSON.stringify(parsed.errors ?? []);
  } catch {
    return text;
  }
}

function assertSafe({ status, text }: { status: number; text: string }) {
  expect(status).toBeLessThan(500);
  expect(text).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+|\n\s+at /);
  expect(errorsOf(text)).not.toContain('SECRET');
}

const post = (payload: string, contentType = 'application/json') =>
  send({ method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body: payload });

describe('fuzzing /graphql', () => {
  it('generated documents never answer 5xx, a stack trace or an echo of their strings', async () => {
    await fc.assert(
      fc.asyncProperty(document, async (query) => assertSafe(await post(JSON.stringify({ query })))),
      { numRuns: 1_000, seed: 12 },
    );
  });

  it('generated variables never answer 5xx, a stack trace or an echo of their values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATIONS), json, async (query, variables) =>
        assertSafe(await post(JSON.stringify({ query, variables }))),
      ),
      { numRuns: 1_000, seed: 34 },
    );
  });

  it('generated bodies, content types and GET queries never answer 5xx, a stack trace or an echo', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(...CONTENT_TYPES), fc.boolean(), async (payload, contentType, viaGet) => {
        if (viaGet) {
          const params = new URLSearchParams({ query: payload.slice(0, 4_000), variables: payload.slice(0, 200) });
          assertSafe(await send({ method: 'GET', headers: { accept: 'application/json' } }, `${URL}?${params}`));
        } else assertSafe(await post(payload, contentType));
      }),
      { numRuns: 1_000, seed: 56 },
    );
  });

  it('the server still answers afterwards', async () => {
    const { status, text } = await post(JSON.stringify({ query: '{ gameDataVersion }' }));
    expect(status).toBe(200);
    expect(JSON.parse(text).data.gameDataVersion).toEqual(expect.any(String));
  });
});
