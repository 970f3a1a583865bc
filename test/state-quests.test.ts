import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { characters } from '../src/characters/tables.js';
import { characterQuests } from '../src/quests/tables.js';
import {
  AbandonQuestDocument,
  ActiveQuestsDocument,
  BondEssenceDocument,
  CompleteQuestDocument,
  CreateCharacterDocument,
  StartQuestDocument,
  UpdateCharacterStateDocument,
  UpdateQuestProgressDocument,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, uniqueCharacterName, type SignedInPlayer } from './support/players.js';

const app = useTestApp();
let owner: SignedInPlayer;
beforeAll(async () => {
  owner = await registerPlayer(app);
});

type StateInput = { currentRoomId?: string | null; health?: number | null; mana?: number | null; stamina?: number | null };
const updateState = (characterId: string, state: StateInput, token = owner.token) =>
  app.gql(UpdateCharacterStateDocument, { input: { characterId, ...state } }, { token }).then((r) => r.data!.updateCharacterState);

describe('updateCharacterState', () => {
  it('sets room and vitals; omitted fields keep their value', async () => {
    const character = await createCharacterFor(app, owner);
    expect(await updateState(character.id, { currentRoomId: 'crypt_3', health: 40, mana: 0 })).toMatchObject({
      character: { currentRoomId: 'crypt_3', health: 40, mana: 0, stamina: 100 },
    });
    expect(await updateState(character.id, { stamina: 55 })).toMatchObject({
      character: { currentRoomId: 'crypt_3', health: 40, mana: 0, stamina: 55 },
    });
  });

  it.each([
    ['a negative health', { health: -1 }, 'health'],
    ['mana above the maximum', { mana: 101 }, 'mana'],
    ['stamina above the maximum', { stamina: 1000 }, 'stamina'],
    ['an empty room id', { currentRoomId: '' }, 'currentRoomId'],
  ])('refuses %s with VALIDATION naming the field, and changes nothing', async (_label, state, field) => {
    const character = await createCharacterFor(app, owner);
    expect(await updateState(character.id, state)).toMatchObject({ code: 'VALIDATION', field });
    const [row] = await app.database.db.select().from(characters).where(eq(characters.id, character.id));
    expect(row).toMatchObject({ health: 100, mana: 100, stamina: 100, currentRoomId: null });
  });

  it('maximums follow the attributes: a bonded power bonus raises maximum health', async () => {
    const character = await createCharacterFor(app, owner);
    expect(await updateState(character.id, { health: 104 })).toMatchObject({ code: 'VALIDATION', field: 'health' });
    await app.gql(
      BondEssenceDocument,
      { input: { characterId: character.id, essenceType: 'fire', attribute: 'POWER' } },
      { token: owner.token },
    );
    expect(await updateState(character.id, { health: 104 })).toMatchObject({ character: { health: 104 } });
  });

  it("refuses another player's character with FORBIDDEN", async () => {
    const character = await createCharacterFor(app, owner);
    const stranger = await registerPlayer(app);
    expect(await updateState(character.id, { health: 1 }, stranger.token)).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('quests', () => {
  const start = (characterId: string, questId: string, token = owner.token) =>
    app.gql(StartQuestDocument, { input: { characterId, questId } }, { token }).then((r) => r.data!.startQuest);

  it('runs a quest from start through progress to completion; a finished quest is read-only', async () => {
    const character = await createCharacterFor(app, owner);
    const started = await start(character.id, 'rat_cellar');
    if (started.__typename !== 'QuestPayload') throw new Error(JSON.stringify(started));
    expect(started.quest).toMatchObject({ questId: 'rat_cellar', status: 'ACTIVE', progress: {}, completedAt: null });
    expect(await start(character.id, 'rat_cellar')).toMatchObject({ code: 'CONFLICT' });

    const id = started.quest.id;
    const progressed = await app.gql(UpdateQuestProgressDocument, { input: { id, progress: { rats: 7 } } }, { token: owner.token });
    expect(progressed.data!.updateQuestProgress).toMatchObject({ quest: { status: 'ACTIVE', progress: { rats: 7 } } });
    const done = await app.gql(CompleteQuestDocument, { id }, { token: owner.token });
    expect(done.data!.completeQuest).toMatchObject({ quest: { status: 'COMPLETED', completedAt: expect.any(String) } });

    const late = await app.gql(UpdateQuestProgressDocument, { input: { id, progress: { rats: 8 } } }, { token: owner.token });
    expect(late.data!.updateQuestProgress).toMatchObject({ code: 'CONFLICT' });
    const [row] = await app.database.db.select().from(characterQuests).where(eq(characterQuests.id, id));
    expect(row).toMatchObject({ status: 'completed', progress: { rats: 7 } });
    // Once finished, the same quest can be taken again.
    expect((await start(character.id, 'rat_cellar')).__typename).toBe('QuestPayload');
  });

  it('abandons a quest, refuses bad ids and progress, and lets only the owner touch it', async () => {
    const character = await createCharacterFor(app, owner);
    const started = await start(character.id, 'lost_ring');
    if (started.__typename !== 'QuestPayload') throw new Error(JSON.stringify(started));
    const stranger = await registerPlayer(app);
    expect((await app.gql(AbandonQuestDocument, { id: started.quest.id }, { token: stranger.token })).data!.abandonQuest).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await start(character.id, 'Bad Quest!')).toMatchObject({ code: 'VALIDATION', field: 'questId' });
    const notObject = await app.gql(
      UpdateQuestProgressDocument,
      { input: { id: started.quest.id, progress: [1, 2] } },
      { token: owner.token },
    );
    expect(notObject.data!.updateQuestProgress).toMatchObject({ code: 'VALIDATION' });
    expect((await app.gql(AbandonQuestDocument, { id: started.quest.id }, { token: owner.token })).data!.abandonQuest).toMatchObject({
      quest: { status: 'ABANDONED' },
    });
  });

  it('activeQuests lists only active quests and selects only the columns asked for', async () => {
    const character = await createCharacterFor(app, owner);
    const ids: string[] = [];
    for (const questId of ['a_quest', 'b_quest', 'c_quest']) {
      const started = await start(character.id, questId);
      if (started.__typename === 'QuestPayload') ids.push(started.quest.id);
    }
    await app.gql(CompleteQuestDocument, { id: ids[1]! }, { token: owner.token });
    const { response, statements } = await app.gqlCounted(ActiveQuestsDocument, { id: character.id });
    expect(response.data!.character!.activeQuests.map((q) => q.questId).sort()).toEqual(['a_quest', 'c_quest']);
    expect(statements).toHaveLength(1);
    // The quest rows are selected as exactly id and quest_id (started_at appears only in ORDER BY).
    expect(statements[0]).toMatch(/select "\w+"\."id" as "id", "\w+"\."quest_id" as "questId" from "character_quests"/);
    expect(statements[0]).not.toContain('"progress"');
  });
});

describe('createCharacter under contention', () => {
  it('fifty concurrent creations with one name produce exactly one character; the rest get NAME_TAKEN', async () => {
    const name = uniqueCharacterName('Contested');
    const players = await Promise.all(Array.from({ length: 5 }, () => registerPlayer(app)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.gql(CreateCharacterDocument, { input: { name } }, { token: players[i % 5]!.token }).then((r) => r.data!.createCharacter),
      ),
    );
    expect(results.filter((r) => r.__typename === 'CreateCharacterPayload')).toHaveLength(1);
    const refused = results.filter((r) => r.__typename !== 'CreateCharacterPayload');
    expect(refused).toHaveLength(49);
    for (const r of refused) expect(r).toMatchObject({ code: 'NAME_TAKEN' });
    expect(await app.database.db.select().from(characters).where(eq(characters.name, name))).toHaveLength(1);
  });
});
