// Dependencies patched at install time (patches/, applied by patch-package in postinstall;
// README "Patched dependencies"). Each test here fails when its patch is not applied.
import {
  execute,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType as ObjectType,
  GraphQLSchema,
  GraphQLList,
  GraphQLString,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getArgumentValues,
  parse,
  type FieldNode,
  type OperationDefinitionNode,
  responsePathAsArray,
} from 'graphql';
import { entityKind, eq, is, makeJitQueryMapper, makeJitRqbMapper, SQL, sql } from 'drizzle-orm';
import { players } from '../src/accounts/tables.js';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';
import { CharactersPageDocument } from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer } from './support/players.js';

const app = useTestApp();

const characterField = (name: string) => (schema.getType('Character') as GraphQLObjectType).getFields()[name]!;

describe('@pothos/plugin-drizzle leaf fast path', () => {
  it('a scalar exposed from a column resolves straight from a row that carries it, with no loader mapping', () => {
    // A context with no recorded mappings and no database: unpatched, the resolver looks up a
    // mapping, finds none and asks the model loader, which needs both.
    const info = {
      path: { prev: { prev: undefined, key: 'character', typename: 'Query' }, key: 'name', typename: 'Character' },
      parentType: schema.getType('Character'),
      fieldName: 'name',
    } as unknown as GraphQLResolveInfo;
    expect(responsePathAsArray(info.path)).toEqual(['character', 'name']);
    for (const [field, row, value] of [
      ['name', { id: 'c1', name: 'Aria' }, 'Aria'],
      ['raceId', { id: 'c1', raceId: null }, null],
      ['inventoryMaxSlots', { id: 'c1', inventoryMaxSlots: 20 }, 20],
    ] as const) {
      expect(characterField(field).resolve!(row, {}, {}, { ...info, fieldName: field })).toBe(value);
    }
  });

  it('a nested page still reads in one statement per query, and a row without the column still falls back to the loader', async () => {
    const player = await registerPlayer(app);
    for (let i = 0; i < 3; i++) await createCharacterFor(app, player);
    const { response, statements } = await app.gqlCounted(CharactersPageDocument, { first: 50 });
    expect(response.errors).toBeUndefined();
    expect(response.data!.characters.edges.length).toBeGreaterThanOrEqual(3);
    // The page with everything nested in it, and totalCount.
    expect(statements).toHaveLength(2);
    // The fallback path is the unpatched one: a row without the column is not answered from it.
    const resolve = characterField('name').resolve!;
    expect(() => resolve({ id: 'c1' }, {}, {}, { path: { key: 'name' }, parentType: schema.getType('Character') } as never)).toThrow();
  });
});

describe('graphql-js: arguments of a field that declares none', () => {
  it('are one shared, frozen, empty object, and a field with arguments still gets its own', () => {
    const query = schema.getQueryType()!.getFields();
    const operation = parse('{ races { id } characters(first: 2) { totalCount } }').definitions[0] as OperationDefinitionNode;
    const [races, page] = operation.selectionSet.selections as FieldNode[];
    const first = getArgumentValues(query.races!, races!);
    expect(getArgumentValues(query.races!, races!)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.keys(first)).toEqual([]);
    expect({ ...getArgumentValues(query.characters!, page!) }).toEqual({ first: 2 });
    expect(getArgumentValues(query.characters!, page!)).not.toBe(getArgumentValues(query.characters!, page!));
  });
});

describe('graphql-js: leaf fields whose resolver is a plain property read', () => {
  const calls: string[] = [];
  const propertyRead = (name: string) =>
    Object.assign(
      (source: Record<string, unknown>) => {
        calls.push(name);
        return source[name];
      },
      { graphqlPropertyRead: name },
    );
  const Row = new ObjectType({
    name: 'Row',
    fields: {
      name: { type: new GraphQLNonNull(GraphQLString), resolve: propertyRead('name') },
      level: { type: GraphQLInt, resolve: propertyRead('level') },
    },
  });
  const rows = [{ name: 'Aria', level: 3 }, { name: 'Bo' }, { name: 'Cy', level: 'high' }];
  const rowSchema = new GraphQLSchema({
    query: new ObjectType({ name: 'Query', fields: { rows: { type: new GraphQLList(Row), resolve: () => rows } } }),
  });

  it('are answered from the source without a call, and only a missing value calls the resolver; results and errors are unchanged', async () => {
    const result = await execute({ schema: rowSchema, document: parse('{ rows { name level } }') });
    // The resolver runs only where the property is missing (Bo's level).
    expect(calls).toEqual(['level']);
    expect(result.data).toEqual({
      rows: [
        { name: 'Aria', level: 3 },
        { name: 'Bo', level: null },
        { name: 'Cy', level: null },
      ],
    });
    // A value the scalar cannot serialize is the same located error as without the shortcut.
    expect(result.errors?.map((e) => ({ message: e.message, path: e.path, locations: e.locations }))).toEqual([
      { message: 'Int cannot represent non-integer value: "high"', path: ['rows', 2, 'level'], locations: [{ line: 1, column: 15 }] },
    ]);
  });

  it('plugin-drizzle marks a bare exposed column as a property read', () => {
    expect((characterField('name').resolve as { graphqlPropertyRead?: string }).graphqlPropertyRead).toBe('name');
    expect((characterField('health').resolve as { graphqlPropertyRead?: string }).graphqlPropertyRead).toBeUndefined();
  });
});

describe('drizzle-orm is(): entity kinds collected once per class', () => {
  it("answers as before, and reads a class chain's entity kinds once however often it is asked", () => {
    let reads = 0;
    // biome-ignore lint/complexity/noStaticOnlyClass: a drizzle entity is a class whose kind is a static property
    class CountedBase {
      static get [entityKind]() {
        reads++;
        return 'GuildhallCountedBase';
      }
    }
    class Counted extends CountedBase {}
    const value = new Counted();
    expect(is(value, SQL)).toBe(false);
    const afterFirst = reads;
    expect(afterFirst).toBeGreaterThan(0);
    // Unpatched, every check walks the chain and reads the kind again.
    for (let i = 0; i < 10; i++) expect(is(value, SQL)).toBe(false);
    expect(reads).toBe(afterFirst);
    // A class whose chain carries SQL's kind counts as SQL (drizzle's check across copies of itself).
    // biome-ignore lint/complexity/noStaticOnlyClass: as above
    class Lookalike {
      static readonly [entityKind] = SQL[entityKind];
    }
    class LookalikeChild extends Lookalike {}
    expect(is(new LookalikeChild(), SQL)).toBe(true);
    expect(is(sql`select 1`, SQL)).toBe(true);
    expect(is({}, SQL)).toBe(false);
    expect(is(Object.create(null), SQL)).toBe(false);
  });
});

describe('drizzle-orm JIT row mappers: one compiled function per query shape', () => {
  type Compiled = { compiledMappers?: Map<string, unknown> };
  const cached = (mapper: unknown) => (mapper as Compiled).compiledMappers;

  it('running a query shape again reuses its compiled mapper, and rows still map as before', async () => {
    const db = app.database.db;
    const [someone, other] = [await registerPlayer(app), await registerPlayer(app)];
    expect(cached(makeJitQueryMapper)).toBeInstanceOf(Map);
    expect(cached(makeJitRqbMapper)).toBeInstanceOf(Map);
    const select = (id: string) => db.select({ id: players.id, username: players.username }).from(players).where(eq(players.id, id));
    const relational = (id: string) => db.query.players.findFirst({ columns: { id: true, username: true }, where: { id } });
    expect(await select(someone.id)).toEqual([{ id: someone.id, username: someone.username }]);
    expect(await relational(someone.id)).toEqual({ id: someone.id, username: someone.username });
    const sizes = () => [cached(makeJitQueryMapper)!.size, cached(makeJitRqbMapper)!.size];
    const before = sizes();
    expect(await select(other.id)).toEqual([{ id: other.id, username: other.username }]);
    expect(await relational(other.id)).toEqual({ id: other.id, username: other.username });
    expect(await select('00000000-0000-4000-8000-000000000000')).toEqual([]);
    expect(sizes()).toEqual(before);
  });
});
