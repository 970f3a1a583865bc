import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterKey } from '../src/cache/keys.js';
import { exposureOf, loadConfig } from '../src/config.js';
import { collectStatements } from '../src/db/statement-log.js';
import { REQUEST_LIMITS } from '../src/limits.js';
import { createServer, type GuildhallYoga } from '../src/server/yoga.js';
import { CharacterPageDocument } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  const player = await registerPlayer(app);
  await createCharacterFor(app, player);
});
afterAll(() => app.close());

const URL = 'http://guildhall.test/graphql';

/** Posts a raw body and returns status, text and the SQL statements it ran. */
async function send(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const { result, statements } = await collectStatements(async () => {
    const response = await app.yoga.fetch(URL, { method: 'POST', headers, body });
    return { status: response.status, text: await response.text() };
  });
  return { ...result, statements, json: () => JSON.parse(result.text) };
}
const query = (document: string, variables?: unknown) => send(JSON.stringify({ query: document, variables }));

const nested = (depth: number) => `{ character(id: "x") ${'{ player { characters '.repeat(depth)}{ id }${' } }'.repeat(depth)} }`;
const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: gameDataVersion`).join(' ')} }`;

describe('document limits (DESIGN §14)', () => {
  it('the page of 100 characters with their nesting passes every limit', async () => {
    const response = await app.gql(CharacterPageDocument, { first: 100 });
    expect(response.errors).toBeUndefined();
    expect(response.data?.characters.edges.length).toBeGreaterThan(0);
  });

  it.each([
    ['depth', nested(5)],
    ['aliases', aliases(REQUEST_LIMITS.maxAliases + 1)],
    ['tokens', aliases(1000)],
    ['tokens', `{ ${'gameDataVersion '.repeat(REQUEST_LIMITS.maxTokens)}}`],
    ['cost', `{ a: characters(first: 100) ${pageSelection()} b: characters(first: 100) ${pageSelection()} }`],
  ])('a document over the %s limit is refused with QUERY_LIMIT_EXCEEDED and runs no SQL', async (limit, document) => {
    const { status, statements, json } = await query(document);
    expect(status).toBe(400);
    expect(json().errors[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit });
    expect(json().data).toBeUndefined();
    expect(statements).toEqual([]);
  });

  it('the attack from the issue, character → player → characters 20 levels deep, is refused before any SQL', async () => {
    const { status, statements, json } = await query(nested(20));
    expect(status).toBe(400);
    expect(json().errors[0].extensions.code).toBe('QUERY_LIMIT_EXCEEDED');
    expect(statements).toEqual([]);
  });

  it('characters(first) is at most 100: a larger page is refused, not served', async () => {
    const response = await app.gql(CharacterPageDocument, { first: 101 });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION', field: 'first' } });
  });

  it('fifteen aliases are allowed', async () => {
    const { status, json } = await query(aliases(REQUEST_LIMITS.maxAliases));
    expect(status).toBe(200);
    expect(Object.keys(json().data)).toHaveLength(REQUEST_LIMITS.maxAliases);
  });

  it.each([
    ['selections nested 20,000 deep', `{ ${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }`],
    ['a list literal nested 50,000 deep', `{ character(id: ${'['.repeat(50_000)}${']'.repeat(50_000)}) { id } }`],
  ])('%s answers 400 with a code, never 500', async (_label, document) => {
    const { status, json } = await query(document);
    expect(status).toBe(400);
    expect(json().errors[0].extensions.code).toBe('QUERY_LIMIT_EXCEEDED');
  });
});

function pageSelection() {
  return `{ edges { node { id name rank attributes { power speed spirit recovery } player { id username }
    essences { id essenceType abilities { id abilityName } } abilities { id abilityName } inventory { id itemId quantity slot } } } }`;
}

describe('request bodies', () => {
  it('a body over 1 MiB is refused with 413 before it is parsed', async () => {
    const body = JSON.stringify({ query: '{ gameDataVersion }', variables: { pad: 'x'.repeat(REQUEST_LIMITS.maxBodyBytes) } });
    const { status, json } = await send(body);
    expect(status).toBe(413);
    expect(json().errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a body over 1 MiB without a Content-Length (streamed) is refused with 413 too', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ > 20) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await app.yoga.fetch(URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('malformed JSON gets 400 BAD_REQUEST without echoing the body', async () => {
    const body = '{"query":"mutation { login(input: {login: \\"ayla\\", password: \\"hunter2-secret\\"}) { __typename } }"';
    const { status, text } = await send(body);
    expect(status).toBe(400);
    expect(JSON.parse(text).errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(text).not.toContain('hunter2-secret');
  });

  it('an invalid variable is refused without echoing its value', async () => {
    const { text } = await query('mutation ($input: LoginInput!) { login(input: $input) { __typename } }', {
      input: { login: 'ayla', password: { secret: 'hunter2-secret' } },
    });
    expect(JSON.parse(text).errors[0].message).toMatch(/^Variable "\$input" got an invalid value at "input.password"/);
    expect(text).not.toContain('hunter2-secret');
  });

  it('a literal of the wrong type is refused without echoing it', async () => {
    const { text } = await query('mutation { login(input: { login: "ayla", password: 4242424242 }) { __typename } }');
    expect(JSON.parse(text).errors.length).toBeGreaterThan(0);
    expect(text).not.toContain('4242424242');
  });

  it.each([
    ['application/x-www-form-urlencoded', 'query=mutation%20%7B%20logout%20%7D'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation { logout }"}\r\n--x--\r\n',
    ],
    ['text/plain', '{"query":"mutation { logout }"}'],
  ])('a %s POST is refused with 415 and executes nothing', async (contentType, body) => {
    const { status, json } = await send(body, { 'content-type': contentType });
    expect(status).toBe(415);
    expect(json().errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a GET executes queries but not mutations', async () => {
    const get = (document: string) =>
      app.yoga.fetch(`${URL}?query=${encodeURIComponent(document)}`, { headers: { accept: 'application/json' } });
    expect((await get('{ gameDataVersion }')).status).toBe(200);
    expect((await get('mutation { logout }')).status).toBe(405);
  });
});

describe('the whole-response cache', () => {
  it('stores one entry for every whitespace and comment variant of a query', async () => {
    const player = await registerPlayer(app);
    const character = await createCharacterFor(app, player);
    const variants = [
      `{ character(id: "${character.id}") { id name } }`,
      `{character(id:"${character.id}"){id name}}`,
      `# a comment\n{\n  character(id: "${character.id}") {\n    id\n    name\n  }\n}`,
    ];
    for (const variant of variants) await query(variant);
    const fields = (await app.redisHandle.redis.hkeys(characterKey(character.id))).filter((f) => f.startsWith('response:'));
    expect(fields).toHaveLength(1);
  });
});

describe('production defaults', () => {
  const serve = (env: Record<string, string>) => createServer(app.services, { probes: {}, exposure: exposureOf(loadConfig(env)) });
  const introspect = (yoga: GuildhallYoga) =>
    yoga.fetch(URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });

  it('introspection and GraphiQL are off under NODE_ENV=production unless GRAPHQL_INTROSPECTION=true', async () => {
    const production = serve({ NODE_ENV: 'production' });
    expect((await (await introspect(production)).json()).errors[0].message).toMatch(/introspection/i);
    expect(await (await production.fetch(URL, { headers: { accept: 'text/html' } })).text()).not.toContain('GraphiQL');
    const enabled = serve({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
    expect((await (await introspect(enabled)).json()).data.__schema.queryType.name).toBe('Query');
    expect((await (await introspect(app.yoga)).json()).data.__schema.queryType.name).toBe('Query');
  });

  it('CORS allows only CORS_ORIGINS in production, and any origin in development', async () => {
    const preflight = (yoga: GuildhallYoga, origin: string) =>
      yoga.fetch(URL, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const closed = serve({ NODE_ENV: 'production' });
    expect((await preflight(closed, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const listed = serve({ NODE_ENV: 'production', CORS_ORIGINS: 'https://play.example.com,https://admin.example.com' });
    expect((await preflight(listed, 'https://play.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://play.example.com',
    );
    expect((await preflight(listed, 'https://evil.example')).headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect((await preflight(app.yoga, 'https://anything.example')).headers.get('access-control-allow-origin')).toBe(
      'https://anything.example',
    );
  });

  it('/metrics needs METRICS_TOKEN as a bearer token, and is off in production without one', async () => {
    expect((await serve({ NODE_ENV: 'production' }).fetch('http://guildhall.test/metrics')).status).toBe(404);
    const guarded = serve({ NODE_ENV: 'production', METRICS_TOKEN: 'a-long-metrics-token' });
    expect((await guarded.fetch('http://guildhall.test/metrics')).status).toBe(401);
    expect((await guarded.fetch('http://guildhall.test/metrics', { headers: { authorization: 'Bearer wrong-token-here!!' } })).status).toBe(
      401,
    );
    const allowed = await guarded.fetch('http://guildhall.test/metrics', { headers: { authorization: 'Bearer a-long-metrics-token' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('guildhall');
  });
});
