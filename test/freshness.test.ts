import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { characterKey, RESPONSE_FIELD_PREFIX } from '../src/cache/keys.js';
import { reachableFields, uncoveredFields } from '../src/graphql/freshness.js';
import { schema } from '../src/graphql/schema.js';
import { type Change, type ChangeType, staleKeysOf } from '../src/invalidation.js';
import {
  AssignDrinkDocument,
  CharacterOwnerDrinkStatsDocument,
  JoinTavernGameDocument,
  StartTavernGameDocument,
} from './generated/graphql.js';
import { startInstance, type TestApp, useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, uniqueName } from './support/players.js';

const SAMPLE: { [T in ChangeType]: Extract<Change, { type: T }> } = {
  characterChanged: { type: 'characterChanged', playerId: 'p1' },
  liveStateChanged: { type: 'liveStateChanged', characterIds: ['c1'] },
  worldImported: { type: 'worldImported' },
  profileChanged: { type: 'profileChanged', playerId: 'p1' },
  savesChanged: { type: 'savesChanged', playerId: 'p1' },
  progressChanged: { type: 'progressChanged', playerId: 'p1' },
  accountDeleted: { type: 'accountDeleted', playerId: 'p1', characterIds: ['c1'] },
  referenceDataApplied: { type: 'referenceDataApplied', version: 'v2' },
};

describe('every field a character read can show has a change that invalidates it', () => {
  const fields = reachableFields(schema, 'Character');

  it('walks the schema from Character and finds no field without a declared change', () => {
    expect(fields.length).toBeGreaterThan(40);
    expect(fields.filter((field) => field.freshness === null).map((field) => field.name)).toEqual([]);
  });

  it('each declared change drops the cached characters that can show it (or publishes a new game:version)', () => {
    const changes = new Set(fields.flatMap((field) => (Array.isArray(field.freshness) ? field.freshness : [])));
    expect([...changes].sort()).toEqual([
      'characterChanged',
      'liveStateChanged',
      'profileChanged',
      'progressChanged',
      'referenceDataApplied',
    ]);
    for (const type of changes) {
      const stale = staleKeysOf(SAMPLE[type]);
      const dropsCharacters = stale.charactersOfPlayers.length + stale.characters.length + stale.responsesOf.length > 0 || stale.everything;
      expect(dropsCharacters || stale.gameVersion !== undefined, `${type} stales no cached character`).toBe(true);
    }
  });

  it('Player.drinkStats is read live: it is declared so, and a response showing it is never stored whole', () => {
    expect(fields.find((field) => field.name === 'Player.drinkStats')?.freshness).toBe('live');
    expect(uncoveredFields(schema, parse('{ character(id: "x") { id player { drinkStats { assigned } } } }'))).toEqual([
      'Player.drinkStats',
    ]);
  });

  it('a document with a field no change covers is reported, so the response cache will not store it', () => {
    const bare = buildSchema('type Query { character(id: ID!): Character } type Character { id: ID! mood: String }');
    expect(uncoveredFields(bare, parse('{ character(id: "x") { __typename id mood } }'))).toEqual([
      'Query.character',
      'Character.id',
      'Character.mood',
    ]);
    expect(uncoveredFields(schema, parse('{ character(id: "x") { id player { username bestScore } } }'))).toEqual([]);
  });
});

describe('Player.drinkStats through a cached character(id) read', () => {
  const app = useTestApp();

  it('is fresh after assignDrink, on the instance that wrote and on a second instance, while the character stays cached', async () => {
    const [host, guest] = [await registerPlayer(app), await registerPlayer(app)];
    const character = await createCharacterFor(app, guest);
    const other = await startInstance(app.databaseUrl, app.redisUrl);
    try {
      const read = async (instance: TestApp = app) =>
        (await instance.gql(CharacterOwnerDrinkStatsDocument, { id: character.id })).data!.character!.player.drinkStats;
      expect(await read()).toEqual({ assigned: 0, received: 0 });
      expect(await read(other)).toEqual({ assigned: 0, received: 0 });
      // The planned rows are cached; the response, which shows drinkStats, is not stored whole.
      const fields = () => app.redisHandle.redis.hkeys(characterKey(character.id));
      expect((await fields()).length).toBeGreaterThan(0);
      expect((await fields()).filter((field) => field.startsWith(RESPONSE_FIELD_PREFIX))).toEqual([]);
      const cached = await fields();

      const started = (await app.gql(StartTavernGameDocument, { channelId: uniqueName('ch') }, { token: host.token })).data!;
      if (started.startTavernGame.__typename !== 'TavernGamePayload') throw new Error('no game');
      const gameId = started.startTavernGame.game.id;
      await other.gql(JoinTavernGameDocument, { gameId }, { token: guest.token });
      const drink = await app.gql(AssignDrinkDocument, { input: { gameId, toPlayerId: guest.id } }, { token: host.token });
      expect(drink.data!.assignDrink.__typename).toBe('DrinkPayload');
      expect(await fields()).toEqual(cached); // the drink dropped nothing

      expect(await read()).toEqual({ assigned: 0, received: 1 });
      expect(await read(other)).toEqual({ assigned: 0, received: 1 });
    } finally {
      await other.close();
    }
  });
});
