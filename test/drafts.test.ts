import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { characters } from '../src/characters/tables.js';
import { createServices } from '../src/context.js';
import { draftIndexKey, draftKey } from '../src/drafts/drafts.js';
import { createLogger } from '../src/logger.js';
import { connectRedis } from '../src/redis/client.js';
import { createServer } from '../src/server/yoga.js';
import {
  CreateDraftDocument,
  DeleteDraftDocument,
  DraftByIdDocument,
  FinalizeDraftDocument,
  MyDraftDocument,
  UpdateDraftDocument,
  type DraftInput,
} from './generated/graphql.js';
import { startTestApp, useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, uniqueCharacterName, type SignedInPlayer } from './support/players.js';

const TTL = 24 * 60 * 60;
const app = useTestApp();

const redis = () => app.redisHandle.redis;
const complete = (name = uniqueCharacterName('Drafted')): DraftInput => ({
  name,
  race: 'dwarf',
  class: 'warrior',
  attributes: { power: 12, speed: 8, spirit: 8, recovery: 12 },
  step: 4,
});

async function create(player: SignedInPlayer, input: DraftInput = {}) {
  const result = (await app.gql(CreateDraftDocument, { input }, { token: player.token })).data!.createDraft;
  if (result.__typename !== 'DraftPayload') throw new Error(JSON.stringify(result));
  return result.draft;
}
const finalize = (id: string, player: SignedInPlayer) =>
  app.gql(FinalizeDraftDocument, { id }, { token: player.token }).then((r) => r.data!.finalizeDraft);

async function expectBothKeysLive(playerId: string, id: string) {
  expect(await redis().get(draftIndexKey(playerId))).toBe(id);
  for (const key of [draftKey(id), draftIndexKey(playerId)]) {
    const ttl = await redis().ttl(key);
    expect(ttl).toBeGreaterThan(TTL - 5);
    expect(ttl).toBeLessThanOrEqual(TTL);
  }
}

describe('drafts in Redis', () => {
  it('createDraft stores draft:{id} as JSON and draft:player:{playerId}, both for 24 hours', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player, { name: 'Bruni Stonehand', step: 1 });
    expect(draft).toMatchObject({ playerId: player.id, name: 'Bruni Stonehand', race: null, class: null, attributes: null, step: 1 });
    expect(new Date(draft.expiresAt).getTime()).toBeGreaterThan(Date.now() + (TTL - 60) * 1000);
    expect(JSON.parse((await redis().get(draftKey(draft.id)))!)).toMatchObject({
      id: draft.id,
      playerId: player.id,
      name: 'Bruni Stonehand',
    });
    await expectBothKeysLive(player.id, draft.id);
  });

  it('every read and update renews both keys', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player);
    const shorten = () => Promise.all([redis().expire(draftKey(draft.id), 30), redis().expire(draftIndexKey(player.id), 30)]);

    await shorten();
    expect((await app.gql(MyDraftDocument, {}, { token: player.token })).data!.myDraft!.id).toBe(draft.id);
    await expectBothKeysLive(player.id, draft.id);

    await shorten();
    expect((await app.gql(DraftByIdDocument, { id: draft.id }, { token: player.token })).data!.draft!.id).toBe(draft.id);
    await expectBothKeysLive(player.id, draft.id);

    await shorten();
    const updated = await app.gql(UpdateDraftDocument, { id: draft.id, input: { race: 'elf', step: 2 } }, { token: player.token });
    expect(updated.data!.updateDraft).toMatchObject({ draft: { race: 'elf', step: 2 } });
    await expectBothKeysLive(player.id, draft.id);
  });

  it('updates are partial: omitted parts stay, null clears a part', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player, complete());
    const update = (input: DraftInput) =>
      app.gql(UpdateDraftDocument, { id: draft.id, input }, { token: player.token }).then((r) => r.data!.updateDraft);
    expect(await update({ class: 'mage' })).toMatchObject({ draft: { name: draft.name, race: 'dwarf', class: 'mage', step: 4 } });
    expect(await update({ race: null })).toMatchObject({ draft: { race: null, class: 'mage' } });
  });

  it("creating a draft replaces the player's previous one and deletes it", async () => {
    const player = await registerPlayer(app);
    const first = await create(player, { name: 'First Try' });
    const second = await create(player, { name: 'Second Try' });
    expect(await redis().exists(draftKey(first.id))).toBe(0);
    await expectBothKeysLive(player.id, second.id);
    expect((await app.gql(DraftByIdDocument, { id: first.id }, { token: player.token })).data!.draft).toBeNull();
  });

  it('twenty concurrent createDraft calls by one player leave exactly one draft, and the index points at it', async () => {
    const player = await registerPlayer(app);
    const drafts = await Promise.all(Array.from({ length: 20 }, (_, i) => create(player, { step: i })));
    const live = [];
    for (const draft of drafts) if (await redis().exists(draftKey(draft.id))) live.push(draft.id);
    expect(live).toHaveLength(1);
    expect(await redis().get(draftIndexKey(player.id))).toBe(live[0]);
  });

  it('deleteDraft removes both keys', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player);
    const deleted = await app.gql(DeleteDraftDocument, { id: draft.id }, { token: player.token });
    expect(deleted.data!.deleteDraft).toEqual({ __typename: 'DeleteDraftPayload', id: draft.id });
    expect(await redis().exists(draftKey(draft.id), draftIndexKey(player.id))).toBe(0);
    const again = await app.gql(DeleteDraftDocument, { id: draft.id }, { token: player.token });
    expect(again.data!.deleteDraft).toMatchObject({ code: 'DRAFT_NOT_FOUND' });
  });
});

describe('validation', () => {
  it.each([
    ['an unknown race', { race: 'orc' }, 'race'],
    ['an unknown class', { class: 'bard' }, 'class'],
    ['an attribute below 5', { attributes: { power: 4, speed: 12, spirit: 12, recovery: 12 } }, 'attributes.power'],
    ['more than 40 points', { attributes: { power: 18, speed: 18, spirit: 5, recovery: 5 } }, 'attributes'],
    ['a bad name', { name: 'x' }, 'name'],
    ['a negative step', { step: -1 }, 'step'],
  ])('refuses %s with VALIDATION naming the field', async (_label, input, field) => {
    const player = await registerPlayer(app);
    const result = await app.gql(CreateDraftDocument, { input }, { token: player.token });
    expect(result.data!.createDraft).toMatchObject({ code: 'VALIDATION', field });
    expect(await redis().exists(draftIndexKey(player.id))).toBe(0);
  });
});

describe('finalizeDraft', () => {
  it('creates the character with race and class modifiers applied, then deletes both keys', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player, complete());
    const result = await finalize(draft.id, player);
    expect(result.__typename).toBe('CreateCharacterPayload');
    if (result.__typename !== 'CreateCharacterPayload') return;
    // allocation 12/8/8/12, dwarf +2/-1/-1/+2, warrior +2/0/-1/+2
    expect(result.character).toMatchObject({
      name: draft.name,
      raceId: 'dwarf',
      classId: 'warrior',
      attributes: { power: 16, speed: 7, spirit: 6, recovery: 16 },
      health: 130,
      mana: 90,
      stamina: 103,
      player: { id: player.id },
    });
    expect(await redis().exists(draftKey(draft.id), draftIndexKey(player.id))).toBe(0);
  });

  it('names every missing part with DRAFT_INCOMPLETE and keeps the draft', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player, { name: 'Half Done', race: 'elf' });
    expect(await finalize(draft.id, player)).toMatchObject({
      __typename: 'DraftIncompleteError',
      code: 'DRAFT_INCOMPLETE',
      missingFields: ['class', 'attributes'],
    });
    await expectBothKeysLive(player.id, draft.id);
  });

  it('refuses an allocation that does not spend exactly 40 points', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player, { ...complete(), attributes: { power: 10, speed: 10, spirit: 10, recovery: 5 } });
    expect(await finalize(draft.id, player)).toMatchObject({ code: 'VALIDATION', field: 'attributes' });
  });

  it('rolls back on NAME_TAKEN and keeps the draft intact', async () => {
    const player = await registerPlayer(app);
    const taken = await createCharacterFor(app, await registerPlayer(app));
    const draft = await create(player, complete(taken.name));
    const before = await redis().get(draftKey(draft.id));
    expect(await finalize(draft.id, player)).toMatchObject({ code: 'NAME_TAKEN' });
    expect(await redis().get(draftKey(draft.id))).toBe(before);
    await expectBothKeysLive(player.id, draft.id);
    expect(await app.database.db.select().from(characters).where(eq(characters.playerId, player.id))).toEqual([]);
  });
});

describe('ownership and robustness', () => {
  it("another player's draft is refused for read, update, delete and finalize", async () => {
    const [owner, stranger] = [await registerPlayer(app), await registerPlayer(app)];
    const draft = await create(owner, complete());
    const read = await app.gql(DraftByIdDocument, { id: draft.id }, { token: stranger.token });
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const update = await app.gql(UpdateDraftDocument, { id: draft.id, input: { step: 9 } }, { token: stranger.token });
    expect(update.data!.updateDraft).toMatchObject({ code: 'FORBIDDEN' });
    expect((await app.gql(DeleteDraftDocument, { id: draft.id }, { token: stranger.token })).data!.deleteDraft).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await finalize(draft.id, stranger)).toMatchObject({ code: 'FORBIDDEN' });
    expect(JSON.parse((await redis().get(draftKey(draft.id)))!).step).toBe(4);
  });

  it('a corrupt or wrongly shaped value is treated as missing and logged, never a 500', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player);
    for (const bad of ['{not json', JSON.stringify({ id: draft.id, playerId: player.id })]) {
      app.logLines.length = 0;
      await redis().set(draftKey(draft.id), bad, 'EX', 60);
      const byId = await app.gql(DraftByIdDocument, { id: draft.id }, { token: player.token });
      expect(byId).toEqual({ data: { draft: null } });
      expect((await app.gql(MyDraftDocument, {}, { token: player.token })).data).toEqual({ myDraft: null });
      expect(app.logLines.join('')).toContain('unreadable character draft');
    }
  });

  it('an index pointing at an expired draft is cleaned when read', async () => {
    const player = await registerPlayer(app);
    const draft = await create(player);
    await redis().del(draftKey(draft.id));
    expect((await app.gql(MyDraftDocument, {}, { token: player.token })).data).toEqual({ myDraft: null });
    expect(await redis().exists(draftIndexKey(player.id))).toBe(0);
  });

  it('drafts expire on their own after the configured TTL', async () => {
    const shortLived = await startTestApp({ draftTtlSeconds: 1 });
    try {
      const player = await registerPlayer(shortLived);
      const result = await shortLived.gql(CreateDraftDocument, { input: { name: 'Mayfly' } }, { token: player.token });
      if (result.data!.createDraft.__typename !== 'DraftPayload') throw new Error('create failed');
      const id = result.data!.createDraft.draft.id;
      expect(await shortLived.redisHandle.redis.pttl(draftKey(id))).toBeLessThanOrEqual(1000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await shortLived.redisHandle.redis.exists(draftKey(id), draftIndexKey(player.id))).toBe(0);
      expect((await shortLived.gql(MyDraftDocument, {}, { token: player.token })).data).toEqual({ myDraft: null });
    } finally {
      await shortLived.close();
    }
  });

  it('with Redis down, draft operations answer SERVICE_UNAVAILABLE', async () => {
    const log = createLogger('silent');
    const deadRedis = await connectRedis('redis://127.0.0.1:1', log);
    const yoga = createServer(createServices(app.database.db, deadRedis.redis, log), { probes: {} });
    const call = async (query: string) => {
      const response = await yoga.fetch('http://guildhall.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${'A'.repeat(43)}` },
        body: JSON.stringify({ query }),
      });
      return response.json();
    };
    const created = await call('mutation { createDraft(input: { name: "Nobody" }) { __typename ... on Error { code } } }');
    expect(created.data.createDraft).toEqual({ __typename: 'ServiceUnavailableError', code: 'SERVICE_UNAVAILABLE' });
    const mine = await call('{ myDraft { id } }');
    expect(mine.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    await deadRedis.close();
  });
});
