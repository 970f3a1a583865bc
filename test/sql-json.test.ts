// Compiled reads (src/graphql/sql-json.ts): a page of column and relation fields is one
// statement that returns the body. Each body must be byte for byte what graphql-js answers
// for the same rows, and anything the compiler does not cover, or a request Yoga would
// refuse, must get exactly the answer it got before.
import { sql } from 'drizzle-orm';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/context.js';
import { collectStatements } from '../src/db/statement-log.js';
import { schema } from '../src/graphql/schema.js';
import { listen, type HttpServer } from '../src/server/http.js';
import { loadFixture } from './bench/fixture.js';
import { P2_QUERY } from './bench/workloads.js';
import { useTestApp } from './support/harness.js';

const app = useTestApp();
let http: HttpServer;
let url: string;

// Text JSON must escape, and text it must not: quotes, backslashes, control characters,
// non-ASCII, an astral character, the line separator, and markup.
const AWKWARD_NAME = 'Quote " back \\ nl \n tab \t bell \u0007 é 😀 \u2028 </script>';

beforeAll(async () => {
  await loadFixture(app.database.db, '', 6);
  const db = app.database.db;
  // Straight into the tables: the API would refuse this name, which is the point.
  await db.execute(sql`update characters set name = ${AWKWARD_NAME}, race_id = 'human', class_id = 'warrior', rank = 'gold'
    where id = (select id from characters order by created_at, id limit 1)`);
  await db.execute(sql`update character_abilities set awakened = true, current_rank = 'iron'
    where id in (select id from character_abilities order by created_at, id limit 5)`);
  await db.execute(
    sql`update players set username = 'o''brien "x"' where id = (select player_id from characters order by created_at, id limit 1)`,
  );
  // A year below 1000: toISOString pads it to four digits, and so must the statement.
  await db.execute(sql`update character_inventory set created_at = '0999-06-01T00:00:00.123Z'
    where id = (select id from character_inventory order by created_at desc, id desc limit 1)`);
  http = await listen(app.yoga, 0, '127.0.0.1');
  url = `http://127.0.0.1:${http.port}/graphql`;
});
afterAll(() => http?.close());

/** What graphql-js answers for the document, as Yoga prints it. */
async function graphqlJsBody(query: string, variables: Record<string, unknown> = {}): Promise<string> {
  const contextValue = createContext(app.services, null, '127.0.0.1');
  const result = await execute({ schema, document: parse(query), variableValues: variables, contextValue });
  expect(result.errors).toBeUndefined();
  return JSON.stringify({ data: result.data });
}

async function post(query: string, variables?: Record<string, unknown>, through: 'yoga' | 'http' = 'yoga'): Promise<Response> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) };
  return through === 'yoga' ? app.yoga.fetch('http://localhost/graphql', init) : fetch(url, init);
}

const EVERY_FIELD = `query Every($n: Int) {
  __typename
  characters(first: $n) {
    __typename
    edges {
      __typename
      node {
        __typename id name rank raceId classId inventoryMaxSlots inventoryExpansionLevel createdAt updatedAt
        attributes { __typename power speed spirit recovery }
        player { __typename id username }
        essences { __typename id essenceType attributeBound rankBonded abilities { id abilityName currentRank awakened } }
        abilities { __typename id abilityName currentRank awakened }
        inventory { __typename id itemId quantity slot createdAt }
      }
    }
  }
}`;

const SHAPES: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'every compilable field, every __typename', query: EVERY_FIELD, variables: { n: 100 } },
  { name: 'the benchmark page', query: P2_QUERY },
  { name: 'an empty page', query: EVERY_FIELD, variables: { n: 0 } },
  {
    name: 'aliases, repeated fields and merged selections',
    query: `{
      a: characters(first: 3) { edges { node { id n: name id attributes { power } attributes { spirit power } } } }
      b: characters(first: 2) { e: edges { x: node { name player { username } player { id } } } }
    }`,
  },
  {
    name: 'fragments and inline fragments, in the order graphql-js collects them',
    query: `query F { characters(first: 5) { edges { node { ...Row ... on Character { rank id } inventory { ...Item } } } } }
      fragment Row on Character { name essences { ... on Essence { abilities { awakened abilityName } } id } }
      fragment Item on InventoryItem { slot itemId }`,
  },
];

describe('a compiled page is what graphql-js answers, byte for byte', () => {
  for (const shape of SHAPES) {
    it(`${shape.name}: the same body, from one statement`, async () => {
      const { result: response, statements } = await collectStatements(() => post(shape.query, shape.variables));
      const body = await response.text();
      expect(response.status).toBe(200);
      expect(body).toBe(await graphqlJsBody(shape.query, shape.variables));
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(/^select '\{"data":'/);
    });
  }

  it('the awkward name and the owner with quotes come out as JSON.stringify writes them', async () => {
    const body = await (await post('{ characters(first: 1) { edges { node { name player { username } } } } }')).text();
    expect(JSON.parse(body).data.characters.edges[0].node).toEqual({ name: AWKWARD_NAME, player: { username: 'o\'brien "x"' } });
  });

  it('over node:http the first and the repeated request get the same status, headers and bytes as through Yoga', async () => {
    const expected = await post(EVERY_FIELD, { n: 7 });
    const expectedBody = await expected.text();
    for (let i = 0; i < 3; i++) {
      const response = await post(EVERY_FIELD, { n: 7 }, 'http');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(expected.headers.get('content-type'));
      expect(await response.text()).toBe(expectedBody);
    }
  });

  it('a changed character shows at once: compiled pages are never cached', async () => {
    const query = '{ characters(first: 2) { edges { node { id name } } } }';
    await post(query, undefined, 'http');
    const [first] = (await app.database.db.execute(sql`select id from characters order by created_at, id limit 1`)) as unknown as Array<{
      id: string;
    }>;
    await app.database.db.execute(sql`update characters set name = 'Renamed' where id = ${first!.id}`);
    const body = JSON.parse(await (await post(query, undefined, 'http')).text());
    expect(body.data.characters.edges[0].node).toEqual({ id: first!.id, name: 'Renamed' });
    await app.database.db.execute(sql`update characters set name = ${AWKWARD_NAME} where id = ${first!.id}`);
  });
});

describe('what is not compiled answers as before', () => {
  it('cursors, page info, totalCount and resolver fields run on graphql-js with their usual statements', async () => {
    const query = `{ characters(first: 2) { totalCount pageInfo { hasNextPage } edges { cursor node { id health player { createdAt } } } } }`;
    const { result: response, statements } = await collectStatements(() => post(query));
    const body = await response.text();
    expect(body).toBe(await graphqlJsBody(query));
    expect(statements.some((statement) => statement.startsWith(`select '{"data":'`))).toBe(false);
  });

  it('a page size the resolver refuses gets its VALIDATION error, over node:http too', async () => {
    await post(EVERY_FIELD, { n: 5 }, 'http'); // the document is known-valid now
    for (const through of ['yoga', 'http'] as const) {
      const body = await (await post(EVERY_FIELD, { n: 101 }, through)).json();
      expect(body.data).toBeNull();
      expect(body.errors[0].extensions.code).toBe('VALIDATION');
    }
  });

  it('variables that are not page sizes go through Yoga: a string for an Int and undeclared text are refused', async () => {
    await post(EVERY_FIELD, { n: 5 }, 'http');
    const wrongType = await post(EVERY_FIELD, { n: '5' }, 'http');
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).data).toBeUndefined();
    const smuggled = await (await post(EVERY_FIELD, { n: 5, extra: 'nul \u0000 here' }, 'http')).json();
    expect(smuggled.data ?? null).toBeNull();
    expect(smuggled.errors[0].extensions.code).toBe('VALIDATION');
  });

  it('a document Yoga refuses is refused every time, however often it is sent', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: characters(first: 1) { edges { node { id } } }`).join(' ');
    for (let i = 0; i < 3; i++) {
      const body = await (await post(`{ ${aliases} }`, undefined, 'http')).json();
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0].extensions.code).toBe('QUERY_LIMIT_EXCEEDED');
    }
  });

  it("a timestamp past year 9999 gets graphql-js bytes (a signed six-digit year), not the statement's", async () => {
    const db = app.database.db;
    const [row] = (await db.execute(sql`select id, created_at::text as at from character_inventory limit 1`)) as unknown as Array<{
      id: string;
      at: string;
    }>;
    await db.execute(sql`update character_inventory set created_at = '12000-06-01T00:00:00.123Z' where id = ${row!.id}`);
    try {
      const query = '{ characters(first: 100) { edges { node { inventory { id createdAt } } } } }';
      const { result: response, statements } = await collectStatements(() => post(query));
      const body = await response.text();
      expect(statements[0]).toMatch(/^select '\{"data":'/); // the compiled statement ran and gave way
      expect(statements.length).toBeGreaterThan(1);
      expect(body).toContain('"createdAt":"+012000-06-01T00:00:00.123Z"');
      expect(body).toBe(await graphqlJsBody(query));
    } finally {
      await db.execute(sql`update character_inventory set created_at = ${row!.at}::timestamptz where id = ${row!.id}`);
    }
  });

  it('a character whose player row is gone gets graphql-js error for the non-null player, not a page without it', async () => {
    const db = app.database.db;
    const [owner] = (await db.execute(sql`select p.* from players p join characters c on c.player_id = p.id
      order by c.created_at desc, c.id desc limit 1`)) as unknown as Array<Record<string, unknown> & { id: string }>;
    // Behind the foreign key's back (replica mode skips its triggers), as a broken restore might.
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`delete from players where id = ${owner!.id}`);
    });
    try {
      const query = '{ characters(first: 100) { edges { node { id player { username } } } } }';
      const { result: response, statements } = await collectStatements(() => post(query));
      const body = await response.json();
      expect(statements.length).toBeGreaterThan(1); // the compiled statement gave way
      expect(body.data).toBeNull();
      expect(body.errors[0].path).toEqual(['characters', 'edges', expect.any(Number), 'node', 'player']);
    } finally {
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.execute(sql`insert into players select * from json_populate_record(null::players, ${JSON.stringify(owner)})`);
      });
    }
  });

  it('a stored rank the Rank enum lacks gets graphql-js error, not a made-up value', async () => {
    const [row] = (await app.database.db.execute(
      sql`select id from characters order by created_at desc, id desc limit 1`,
    )) as unknown as Array<{
      id: string;
    }>;
    await app.database.db.execute(sql`update characters set rank = 'mythic' where id = ${row!.id}`);
    try {
      const body = await (await post('{ characters(first: 100) { edges { node { id rank } } } }')).json();
      expect(body.errors[0].message).toMatch(/Rank/);
      expect(body.errors[0].path).toEqual(['characters', 'edges', expect.any(Number), 'node', 'rank']);
    } finally {
      await app.database.db.execute(sql`update characters set rank = 'normal' where id = ${row!.id}`);
    }
  });
});
