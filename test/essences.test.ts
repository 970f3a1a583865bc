import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { characters } from '../src/characters/tables.js';
import { characterAbilities, characterEssences } from '../src/essences/tables.js';
import type { EssenceRecord } from '../src/reference/records.js';
import { essenceTypes } from '../src/reference/tables.js';
import {
  AwakenAbilityDocument,
  BondEssenceColumnsDocument,
  BondEssenceDocument,
  RankUpAbilityDocument,
  type Attribute,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, type SignedInPlayer } from './support/players.js';

const ESSENCES: EssenceRecord[] = JSON.parse(readFileSync(new URL('../seeds/essences.json', import.meta.url), 'utf8')).data;
const essence = (id: string) => ESSENCES.find((e) => e.id === id)!;

const app = useTestApp();
let owner: SignedInPlayer;
// A fresh owner per test: a player has at most ten characters.
beforeEach(async () => {
  owner = await registerPlayer(app);
});

const bond = (characterId: string, essenceType: string, attribute: Attribute = 'POWER', token: string | null = owner.token) =>
  app.gql(BondEssenceDocument, { input: { characterId, essenceType, attribute } }, { token }).then((r) => r.data!.bondEssence);

async function stored(characterId: string) {
  const db = app.database.db;
  const [character] = await db.select().from(characters).where(eq(characters.id, characterId));
  const essences = await db.select().from(characterEssences).where(eq(characterEssences.characterId, characterId));
  const abilities = await db.select().from(characterAbilities).where(eq(characterAbilities.characterId, characterId));
  return { character: character!, essences, abilities };
}

describe('bondEssence', () => {
  it('bonds the essence at the character rank, grants its abilities at rank normal, and adds its bonus to the bound attribute', async () => {
    const character = await createCharacterFor(app, owner);
    const before = await stored(character.id);
    const result = await bond(character.id, 'fire', 'SPIRIT');
    expect(result.__typename).toBe('BondEssencePayload');
    if (result.__typename !== 'BondEssencePayload') return;
    expect(result.essence).toMatchObject({ essenceType: 'fire', attributeBound: 'SPIRIT', rankBonded: 'NORMAL', type: { id: 'fire' } });
    expect(result.essence.abilities.map((a) => a.abilityName).sort()).toEqual([...essence('fire').abilities].sort());
    expect(result.essence.abilities.every((a) => a.currentRank === 'NORMAL' && !a.awakened)).toBe(true);
    expect(result.character.attributes).toEqual({ power: 10, speed: 10, spirit: 10 + essence('fire').bonus.spirit, recovery: 10 });
    expect(result.character.essences).toEqual([{ essenceType: 'fire' }]);

    const after = await stored(character.id);
    expect(after.essences).toHaveLength(1);
    expect(after.abilities).toHaveLength(essence('fire').abilities.length);
    expect(after.abilities.every((a) => a.essenceId === after.essences[0]!.id)).toBe(true);
    expect(after.character.spirit).toBe(12);
    expect(after.character.updatedAt.getTime()).toBeGreaterThan(before.character.updatedAt.getTime());
  });

  it("records the character's current rank as rank_bonded", async () => {
    const character = await createCharacterFor(app, owner);
    await app.database.db.update(characters).set({ rank: 'iron' }).where(eq(characters.id, character.id));
    expect(await bond(character.id, 'water')).toMatchObject({ essence: { rankBonded: 'IRON' } });
  });

  it('a fifth essence is refused with MAX_ESSENCES_REACHED and nothing changes', async () => {
    const character = await createCharacterFor(app, owner);
    for (const type of ['fire', 'water', 'earth', 'wind']) expect((await bond(character.id, type)).__typename).toBe('BondEssencePayload');
    const before = await stored(character.id);
    expect(await bond(character.id, 'shadow')).toMatchObject({ __typename: 'LimitReachedError', code: 'MAX_ESSENCES_REACHED', limit: 4 });
    expect(await stored(character.id)).toEqual(before);
  });

  it('an essence type bonded already is refused with ESSENCE_ALREADY_BONDED', async () => {
    const character = await createCharacterFor(app, owner);
    await bond(character.id, 'iron');
    expect(await bond(character.id, 'iron', 'RECOVERY')).toMatchObject({ __typename: 'ConflictError', code: 'ESSENCE_ALREADY_BONDED' });
    expect((await stored(character.id)).essences).toHaveLength(1);
  });

  it('an essence type not in the reference data is refused with UNKNOWN_ESSENCE_TYPE', async () => {
    const character = await createCharacterFor(app, owner);
    expect(await bond(character.id, 'moonlight')).toMatchObject({ code: 'UNKNOWN_ESSENCE_TYPE' });
    expect((await stored(character.id)).essences).toHaveLength(0);
  });

  it('refuses a missing character, a malformed id, an empty type, another player and no session, each with its code', async () => {
    const character = await createCharacterFor(app, owner);
    const stranger = await registerPlayer(app);
    expect(await bond('00000000-0000-4000-8000-000000000000', 'fire')).toMatchObject({ code: 'CHARACTER_NOT_FOUND' });
    expect(await bond('not-an-id', 'fire')).toMatchObject({ code: 'VALIDATION', field: 'characterId' });
    expect(await bond(character.id, '  ')).toMatchObject({ code: 'VALIDATION', field: 'essenceType' });
    expect(await bond(character.id, 'fire', 'POWER', stranger.token)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await bond(character.id, 'fire', 'POWER', null)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await stored(character.id)).essences).toHaveLength(0);
  });

  it("takes twelve SQL statements, each lock sent before the reads it guards: ten in the transaction (the player's character ids among them, read under the player's lock), then the essence and the character as committed", async () => {
    // A new player: their first bond always advances achievement progress (one write).
    const newcomer = await registerPlayer(app);
    const character = await createCharacterFor(app, newcomer);
    const { response, statements } = await app.gqlCounted(
      BondEssenceDocument,
      { input: { characterId: character.id, essenceType: 'might', attribute: 'POWER' } },
      { token: newcomer.token },
    );
    expect(response.data!.bondEssence.__typename).toBe('BondEssencePayload');
    // Reference data loads once per process (a test run alone reads it here); BEGIN/COMMIT are not logged.
    const counted = statements.filter((text) => !/^select "id", "data" from "(achievements|essence_types)" order by/.test(text));
    // Statements are logged as they are sent, and PostgreSQL runs a transaction's in that order.
    const expected = [
      /^select .* from "characters" where "characters"."id" = \$1 for update$/,
      /^select "essence_type" from "character_essences" where/,
      /^select "data" from "essence_types" where/,
      /^select "id" from "players" where .* for no key update$/,
      /^select .* from "player_achievements" where/,
      /^select "id" from "characters" where "characters"."player_id" in/,
      /^insert into "character_essences"/,
      /^insert into "character_abilities"/,
      /^update "characters"/,
      /^insert into "player_achievements"/,
      /from "character_essences" as "d0"/,
      /from "characters" as "d0"/,
    ];
    expect(counted).toHaveLength(expected.length);
    for (const [i, text] of counted.entries()) expect(text).toMatch(expected[i]!);
  });

  it("a payload selecting only the essence's columns is answered from the written row without reading it back; one selecting a relation reads it back", async () => {
    const newcomer = await registerPlayer(app);
    const character = await createCharacterFor(app, newcomer);
    const readBack = (statements: string[]) => statements.filter((text) => text.includes('from "character_essences" as "d0"'));
    const columns = await app.gqlCounted(
      BondEssenceColumnsDocument,
      { input: { characterId: character.id, essenceType: 'fire', attribute: 'SPIRIT' } },
      { token: newcomer.token },
    );
    expect(readBack(columns.statements)).toEqual([]);
    const [row] = (await stored(character.id)).essences;
    expect(columns.response.data!.bondEssence).toEqual({
      __typename: 'BondEssencePayload',
      essence: {
        id: row!.id,
        essenceType: 'fire',
        attributeBound: 'SPIRIT',
        rankBonded: 'NORMAL',
        createdAt: row!.createdAt.toISOString(),
      },
    });
    const nested = await app.gqlCounted(
      BondEssenceDocument,
      { input: { characterId: character.id, essenceType: 'water', attribute: 'POWER' } },
      { token: newcomer.token },
    );
    expect(readBack(nested.statements)).toHaveLength(1);
    const essence =
      nested.response.data!.bondEssence.__typename === 'BondEssencePayload' ? nested.response.data!.bondEssence.essence : null;
    expect(essence).toMatchObject({
      essenceType: 'water',
      abilities: expect.arrayContaining([expect.objectContaining({ currentRank: 'NORMAL' })]),
    });
  });

  it('fifty concurrent bonds on one character leave exactly four essences, no type twice, and every loser gets a typed error', async () => {
    const character = await createCharacterFor(app, owner);
    const types = Array.from({ length: 50 }, (_, i) => ESSENCES[i % ESSENCES.length]!.id);
    const results = await Promise.all(types.map((type) => bond(character.id, type)));

    const winners = results.filter((r) => r.__typename === 'BondEssencePayload');
    const losers = results.filter((r) => r.__typename !== 'BondEssencePayload');
    expect(winners).toHaveLength(4);
    expect(losers).toHaveLength(46);
    for (const loser of losers)
      expect(loser).toMatchObject({ code: expect.stringMatching(/^(MAX_ESSENCES_REACHED|ESSENCE_ALREADY_BONDED)$/) });

    const { essences, abilities, character: row } = await stored(character.id);
    expect(essences).toHaveLength(4);
    expect(new Set(essences.map((e) => e.essenceType)).size).toBe(4);
    const bonded = essences.map((e) => essence(e.essenceType));
    expect(abilities).toHaveLength(bonded.reduce((n, e) => n + e.abilities.length, 0));
    expect(row.power).toBe(10 + bonded.reduce((n, e) => n + e.bonus.power, 0));
  });

  it('a failure in the middle of a bond leaves no essence, ability or attribute change behind', async () => {
    // A test-only essence type whose ability name is too long for its column (varchar 100):
    // the essence row is inserted, then the abilities insert fails.
    await app.database.db.insert(essenceTypes).values({
      id: 'unstable',
      name: 'Unstable Essence',
      data: {
        id: 'unstable',
        name: 'Unstable Essence',
        description: 'test only',
        abilities: ['X'.repeat(150)],
        bonus: { power: 9, speed: 0, spirit: 0, recovery: 0 },
      },
    });
    const character = await createCharacterFor(app, owner);
    const before = await stored(character.id);
    const response = await app.gql(
      BondEssenceDocument,
      { input: { characterId: character.id, essenceType: 'unstable', attribute: 'POWER' } },
      { token: owner.token },
    );
    expect(response.errors?.[0]?.message).toBe('Unexpected error.');
    expect(await stored(character.id)).toEqual(before);
    await app.database.db.delete(essenceTypes).where(eq(essenceTypes.id, 'unstable'));
  });
});

describe('abilities', () => {
  async function abilityOf(characterId: string) {
    await bond(characterId, 'wind');
    return (await stored(characterId)).abilities[0]!;
  }

  it('awakenAbility awakens once; a second awakening is CONFLICT', async () => {
    const ability = await abilityOf((await createCharacterFor(app, owner)).id);
    const first = await app.gql(AwakenAbilityDocument, { abilityId: ability.id }, { token: owner.token });
    expect(first.data!.awakenAbility).toMatchObject({ ability: { id: ability.id, awakened: true } });
    const second = await app.gql(AwakenAbilityDocument, { abilityId: ability.id }, { token: owner.token });
    expect(second.data!.awakenAbility).toMatchObject({ code: 'CONFLICT' });
  });

  it('an ability never ranks above its character', async () => {
    const character = await createCharacterFor(app, owner);
    const ability = await abilityOf(character.id);
    const rankUp = () =>
      app.gql(RankUpAbilityDocument, { abilityId: ability.id }, { token: owner.token }).then((r) => r.data!.rankUpAbility);
    expect(await rankUp()).toMatchObject({ code: 'VALIDATION' });
    await app.database.db.update(characters).set({ rank: 'bronze' }).where(eq(characters.id, character.id));
    expect(await rankUp()).toMatchObject({ ability: { currentRank: 'IRON' } });
    expect(await rankUp()).toMatchObject({ ability: { currentRank: 'BRONZE' } });
    expect(await rankUp()).toMatchObject({ code: 'VALIDATION' });
    const [row] = await app.database.db.select().from(characterAbilities).where(eq(characterAbilities.id, ability.id));
    expect(row!.currentRank).toBe('bronze');
  });

  it('only the owner changes an ability; unknown and malformed ids are refused', async () => {
    const ability = await abilityOf((await createCharacterFor(app, owner)).id);
    const stranger = await registerPlayer(app);
    expect((await app.gql(AwakenAbilityDocument, { abilityId: ability.id }, { token: stranger.token })).data!.awakenAbility).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await app.gql(RankUpAbilityDocument, { abilityId: ability.id }, { token: stranger.token })).data!.rankUpAbility).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await app.gql(AwakenAbilityDocument, { abilityId: ability.id })).data!.awakenAbility).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    const missing = await app.gql(AwakenAbilityDocument, { abilityId: '00000000-0000-4000-8000-000000000000' }, { token: owner.token });
    expect(missing.data!.awakenAbility).toMatchObject({ code: 'NOT_FOUND' });
    expect((await app.gql(AwakenAbilityDocument, { abilityId: 'x' }, { token: owner.token })).data!.awakenAbility).toMatchObject({
      code: 'VALIDATION',
    });
    const [row] = await app.database.db.select().from(characterAbilities).where(eq(characterAbilities.id, ability.id));
    expect(row!.awakened).toBe(false);
  });
});
