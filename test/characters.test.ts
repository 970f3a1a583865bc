import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { characters } from '../src/characters/tables.js';
import { characterAbilities, characterEssences } from '../src/essences/tables.js';
import { characterInventory } from '../src/inventory/tables.js';
import {
  CharacterNestedDocument,
  CharactersNamesDocument,
  CharactersPageDocument,
  CreateCharacterDocument,
  type CharactersNamesQuery,
} from './generated/graphql.js';
import { type GraphQLResponse, useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, uniqueCharacterName, type SignedInPlayer } from './support/players.js';

const app = useTestApp();
let owner: SignedInPlayer;
beforeAll(async () => {
  owner = await registerPlayer(app);
});

const createCharacter = (name: string, token: string | null = owner.token) =>
  app.gql(CreateCharacterDocument, { input: { name } }, { token }).then((r) => r.data!.createCharacter);

/** Gives a character two essences with two abilities each and three inventory stacks, straight in SQL. */
async function furnish(characterId: string) {
  const db = app.database.db;
  for (const essenceType of ['fire', 'shadow']) {
    const [essence] = await db
      .insert(characterEssences)
      .values({ characterId, essenceType, attributeBound: 'power', rankBonded: 'normal' })
      .returning();
    await db
      .insert(characterAbilities)
      .values(['A', 'B'].map((suffix) => ({ characterId, essenceId: essence!.id, abilityName: `${essenceType} ${suffix}` })));
  }
  await db.insert(characterInventory).values([
    { characterId, itemId: 'minor_health_potion', quantity: 5 },
    { characterId, itemId: 'iron_sword', slot: 1 },
    { characterId, itemId: 'torch', quantity: 3 },
  ]);
}

describe('createCharacter', () => {
  it('creates a normal-rank character for the viewer, at full vitals derived from the attributes', async () => {
    const name = uniqueCharacterName('Rowan');
    const result = await createCharacter(name);
    expect(result.__typename).toBe('CreateCharacterPayload');
    if (result.__typename !== 'CreateCharacterPayload') return;
    expect(result.character).toMatchObject({
      name,
      rank: 'NORMAL',
      attributes: { power: 10, speed: 10, spirit: 10, recovery: 10 },
      health: 100,
      mana: 100,
      stamina: 100,
      currentRoomId: null,
      inventoryMaxSlots: 20,
      player: { id: owner.id, username: owner.username },
    });
    const [row] = await app.database.db.select().from(characters).where(eq(characters.id, result.character.id));
    expect(row).toMatchObject({ playerId: owner.id, name, health: 100, mana: 100, stamina: 100 });
  });

  it('refuses a name another character has with NAME_TAKEN, and keeps only the first', async () => {
    const name = uniqueCharacterName('Taken');
    await createCharacter(name);
    const other = await registerPlayer(app);
    expect(await createCharacter(name, other.token)).toMatchObject({ __typename: 'ConflictError', code: 'NAME_TAKEN' });
    expect(await app.database.db.select().from(characters).where(eq(characters.name, name))).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['one letter', 'A'],
    ['over 50 characters', 'A'.repeat(51)],
    ['starting with a digit', '9Lives'],
    ['with symbols', 'Drop;Table'],
    ['with a double space', 'Two  Spaces'],
    ['whitespace only', '    '],
  ])('refuses a name that is %s with VALIDATION on field name', async (_label, name) => {
    const before = await app.database.db.$count(characters);
    expect(await createCharacter(name)).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'name' });
    expect(await app.database.db.$count(characters)).toBe(before);
  });

  it('trims surrounding spaces from an otherwise valid name', async () => {
    const name = uniqueCharacterName('Spacy');
    const result = await createCharacter(`  ${name}  `);
    expect(result).toMatchObject({ character: { name } });
  });

  it('refuses a caller without a session with UNAUTHENTICATED', async () => {
    expect(await createCharacter(uniqueCharacterName('Anon'), null)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('reading characters', () => {
  it('character(id) with player, essences, abilities and inventory is one SQL statement', async () => {
    const character = await createCharacterFor(app, owner);
    await furnish(character.id);
    const { response, statements } = await app.gqlCounted(CharacterNestedDocument, { id: character.id });
    expect(response.errors).toBeUndefined();
    const read = response.data!.character!;
    expect(read.player.id).toBe(owner.id);
    expect(read.essences.map((e) => e.essenceType)).toEqual(['fire', 'shadow']);
    expect(read.essences[0]!.abilities.map((a) => a.abilityName).sort()).toEqual(['fire A', 'fire B']);
    expect(read.abilities).toHaveLength(4);
    expect(read.inventory.map((i) => [i.itemId, i.quantity, i.slot]).sort()).toEqual([
      ['iron_sword', 1, 1],
      ['minor_health_potion', 5, null],
      ['torch', 3, null],
    ]);
    expect(statements).toHaveLength(1);
  });

  it('an unknown or malformed id reads as null, with no error', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const response = await app.gql(CharacterNestedDocument, { id });
      expect(response).toEqual({ data: { character: null } });
    }
  });

  it('characters(first: 50) with the same nesting takes at most two SQL statements', async () => {
    const player = await registerPlayer(app);
    for (let i = 0; i < 10; i++) await furnish((await createCharacterFor(app, player)).id);
    const { response, statements } = await app.gqlCounted(CharactersPageDocument, { first: 50 });
    expect(response.errors).toBeUndefined();
    const page = response.data!.characters;
    expect(page.edges.length).toBeGreaterThanOrEqual(10);
    expect(page.totalCount).toBe(await app.database.db.$count(characters));
    const furnished = page.edges.filter((edge) => edge.node.player.id === player.id);
    expect(furnished).toHaveLength(10);
    for (const { node } of furnished) {
      expect(node.essences).toHaveLength(2);
      expect(node.abilities).toHaveLength(4);
      expect(node.inventory).toHaveLength(3);
    }
    // One statement for the page and everything nested in it, one for totalCount.
    expect(statements).toHaveLength(2);
    const withoutCount = await app.gqlCounted(CharactersNamesDocument, { first: 50 });
    expect(withoutCount.statements).toHaveLength(1);
  });

  it('pages through every character exactly once, oldest first', async () => {
    const all = await app.database.db.select({ id: characters.id }).from(characters);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse<CharactersNamesQuery> = await app.gql(CharactersNamesDocument, { first: 5, after });
      const page = response.data!.characters;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(all.map((c) => c.id).sort());
  });
});
