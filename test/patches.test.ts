// Dependencies patched at install time (patches/, applied by patch-package in postinstall;
// README "Patched dependencies"). Each test here fails when its patch is not applied.
import {
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getArgumentValues,
  parse,
  type FieldNode,
  type OperationDefinitionNode,
  responsePathAsArray,
} from 'graphql';
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
