import { randomUUID } from 'node:crypto';
import { eq, or } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chatRateKey, dmChannel } from '../src/social/chat.js';
import { chatMessages, friendships } from '../src/social/tables.js';
import {
  AddFriendDocument,
  BlockPlayerDocument,
  ChatHistoryDocument,
  MyFriendsDocument,
  RemoveFriendDocument,
  SendChatMessageDocument,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { registerPlayer, type SignedInPlayer } from './support/players.js';

const app = useTestApp();

const add = (from: SignedInPlayer, playerId: string) =>
  app.gql(AddFriendDocument, { playerId }, { token: from.token }).then((r) => r.data!.addFriend);
const remove = (from: SignedInPlayer, playerId: string) =>
  app.gql(RemoveFriendDocument, { playerId }, { token: from.token }).then((r) => r.data!.removeFriend);
const block = (from: SignedInPlayer, playerId: string) =>
  app.gql(BlockPlayerDocument, { playerId }, { token: from.token }).then((r) => r.data!.blockPlayer);
const send = (from: SignedInPlayer, channel: string, body: string) =>
  app.gql(SendChatMessageDocument, { channel, body }, { token: from.token }).then((r) => r.data!.sendChatMessage);
const history = (as: SignedInPlayer, variables: { channel: string; before?: string; beforeId?: string; first?: number }) =>
  app.gql(ChatHistoryDocument, variables, { token: as.token });

/** Every stored row between two players, as `player->other: state`. */
async function rowsBetween(a: string, b: string) {
  const rows = await app.database.db
    .select()
    .from(friendships)
    .where(or(eq(friendships.playerId, a), eq(friendships.playerId, b)));
  return rows
    .filter((row) => [a, b].includes(row.otherId))
    .map((row) => `${row.playerId === a ? 'a' : 'b'}->${row.otherId === a ? 'a' : 'b'}: ${row.state}`)
    .sort();
}

async function friends() {
  const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
  await add(a, b.id);
  await add(b, a.id);
  return [a, b] as const;
}

describe('friends', () => {
  it('addFriend sends an invite: one row per direction, INVITE_SENT and INVITE_RECEIVED', async () => {
    const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
    expect(await add(a, b.id)).toMatchObject({ friend: { state: 'INVITE_SENT', player: { id: b.id, username: b.username } } });
    expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: invite_sent', 'b->a: invite_received']);
    const theirs = await app.gql(MyFriendsDocument, {}, { token: b.token });
    expect(theirs.data!.myFriends).toEqual([
      { state: 'INVITE_RECEIVED', since: expect.any(String), player: { id: a.id, username: a.username } },
    ]);
  });

  it('adding a player who already invited you accepts: both rows become friend', async () => {
    const [a, b] = await friends();
    expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: friend', 'b->a: friend']);
    expect((await app.gql(MyFriendsDocument, { state: 'FRIEND' }, { token: a.token })).data!.myFriends).toMatchObject([
      { player: { id: b.id } },
    ]);
    expect((await app.gql(MyFriendsDocument, { state: 'INVITE_SENT' }, { token: a.token })).data!.myFriends).toEqual([]);
  });

  it('two players inviting each other at the same moment end as friends with one row per direction', async () => {
    const pairs = await Promise.all(Array.from({ length: 10 }, () => Promise.all([registerPlayer(app), registerPlayer(app)])));
    const results = await Promise.all(pairs.flatMap(([a, b]) => [add(a, b.id), add(b, a.id)]));
    for (const result of results) expect(result.__typename).toBe('FriendPayload');
    for (const [a, b] of pairs) expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: friend', 'b->a: friend']);
  });

  it('removeFriend ends a friendship, withdraws an invite and declines one', async () => {
    const [a, b] = await friends();
    expect(await remove(b, a.id)).toEqual({ __typename: 'RemoveFriendPayload', playerId: a.id });
    expect(await rowsBetween(a.id, b.id)).toEqual([]);
    await add(a, b.id);
    await remove(a, b.id); // withdraw
    expect(await rowsBetween(a.id, b.id)).toEqual([]);
    await add(a, b.id);
    await remove(b, a.id); // decline
    expect(await rowsBetween(a.id, b.id)).toEqual([]);
  });

  it('blockPlayer makes the blocker row blocked and deletes the blocked player row', async () => {
    const [a, b] = await friends();
    expect(await block(a, b.id)).toMatchObject({ friend: { state: 'BLOCKED', player: { id: b.id } } });
    expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: blocked']);
    expect((await app.gql(MyFriendsDocument, {}, { token: b.token })).data!.myFriends).toEqual([]);
  });

  it('a blocked player cannot invite the blocker: FORBIDDEN', async () => {
    const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
    await block(a, b.id);
    expect(await add(b, a.id)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: blocked']);
  });

  it('the blocker inviting whom they block is CONFLICT until removeFriend lifts the block', async () => {
    const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
    await block(a, b.id);
    expect(await add(a, b.id)).toMatchObject({ code: 'CONFLICT' });
    await remove(a, b.id);
    expect(await rowsBetween(a.id, b.id)).toEqual([]);
    expect(await add(b, a.id)).toMatchObject({ friend: { state: 'INVITE_SENT' } });
  });

  it('removeFriend by the blocked player does not lift the block', async () => {
    const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
    await block(a, b.id);
    await remove(b, a.id);
    expect(await rowsBetween(a.id, b.id)).toEqual(['a->b: blocked']);
  });

  it('befriending oneself is VALIDATION naming playerId', async () => {
    const a = await registerPlayer(app);
    expect(await add(a, a.id)).toMatchObject({ code: 'VALIDATION', field: 'playerId' });
  });

  it('a missing player is NOT_FOUND for addFriend, removeFriend and blockPlayer', async () => {
    const a = await registerPlayer(app);
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expect(await add(a, id)).toMatchObject({ code: 'NOT_FOUND' });
      expect(await remove(a, id)).toMatchObject({ code: 'NOT_FOUND' });
      expect(await block(a, id)).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('friend operations without a session are UNAUTHENTICATED', async () => {
    const a = await registerPlayer(app);
    expect((await app.gql(AddFriendDocument, { playerId: a.id })).data!.addFriend).toMatchObject({ code: 'UNAUTHENTICATED' });
    const list = await app.gql(MyFriendsDocument, {});
    expect(list.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('myFriends with its players is one SQL statement', async () => {
    const a = await registerPlayer(app);
    const others = await Promise.all(Array.from({ length: 5 }, () => registerPlayer(app)));
    for (const other of others) await add(a, other.id);
    const { response, statements } = await app.gqlCounted(MyFriendsDocument, {}, { token: a.token });
    expect(response.data!.myFriends).toHaveLength(5);
    expect(statements).toHaveLength(1);
  });
});

describe('chat', () => {
  it('a room message is stored trimmed and read back from history with its sender', async () => {
    const a = await registerPlayer(app);
    const sent = await send(a, 'room:tavern', '  well met  ');
    if (sent.__typename !== 'ChatMessagePayload') throw new Error(JSON.stringify(sent));
    expect(sent.message).toMatchObject({ channel: 'room:tavern', body: 'well met', from: { id: a.id, username: a.username } });
    const [row] = await app.database.db.select().from(chatMessages).where(eq(chatMessages.id, sent.message.id));
    expect(row).toMatchObject({ channel: 'room:tavern', senderId: a.id, body: 'well met' });
    const page = await history(a, { channel: 'room:tavern' });
    expect(page.data!.chatHistory[0]).toEqual(sent.message);
  });

  it('a body of 0 or 501 characters after trimming is VALIDATION naming body; 500 is accepted', async () => {
    const a = await registerPlayer(app);
    expect(await send(a, 'room:lengths', '   ')).toMatchObject({ code: 'VALIDATION', field: 'body' });
    expect(await send(a, 'room:lengths', 'x'.repeat(501))).toMatchObject({ code: 'VALIDATION', field: 'body' });
    expect(await send(a, 'room:lengths', ` ${'x'.repeat(500)} `)).toMatchObject({ __typename: 'ChatMessagePayload' });
  });

  it('a malformed channel is VALIDATION naming channel', async () => {
    const [a, b] = await friends();
    const [low, high] = [a.id, b.id].sort();
    for (const channel of [
      'room:Tavern',
      'room:',
      `room:${'x'.repeat(41)}`,
      'lobby',
      `dm:${high}:${low}`,
      `dm:${a.id}:${a.id}`,
      'dm:x:y',
    ]) {
      expect(await send(a, channel, 'hello')).toMatchObject({ code: 'VALIDATION', field: 'channel' });
    }
  });

  it('a DM to a non-friend is FORBIDDEN, as is a DM while only invited', async () => {
    const [a, b] = await Promise.all([registerPlayer(app), registerPlayer(app)]);
    expect(await send(a, dmChannel(a.id, b.id), 'hi')).toMatchObject({ code: 'FORBIDDEN' });
    await add(a, b.id);
    expect(await send(a, dmChannel(a.id, b.id), 'hi')).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('friends exchange DMs and both read the history', async () => {
    const [a, b] = await friends();
    const channel = dmChannel(a.id, b.id);
    expect(await send(a, channel, 'hi b')).toMatchObject({ __typename: 'ChatMessagePayload' });
    expect(await send(b, channel, 'hi a')).toMatchObject({ __typename: 'ChatMessagePayload' });
    for (const reader of [a, b]) {
      expect((await history(reader, { channel })).data!.chatHistory.map((m) => m.body)).toEqual(['hi a', 'hi b']);
    }
  });

  it('a DM from a blocked player to the blocker is FORBIDDEN', async () => {
    const [a, b] = await friends();
    await block(a, b.id);
    expect(await send(b, dmChannel(a.id, b.id), 'let me explain')).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a DM from the blocker to the blocked player is FORBIDDEN', async () => {
    const [a, b] = await friends();
    await block(a, b.id);
    expect(await send(a, dmChannel(a.id, b.id), 'one last thing')).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("reading or writing someone else's DM channel is FORBIDDEN", async () => {
    const [a, b] = await friends();
    const eve = await registerPlayer(app);
    await send(a, dmChannel(a.id, b.id), 'secret');
    expect((await history(eve, { channel: dmChannel(a.id, b.id) })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await send(eve, dmChannel(a.id, b.id), 'hello?')).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a DM history is FORBIDDEN once the two are no longer friends', async () => {
    const [a, b] = await friends();
    await send(a, dmChannel(a.id, b.id), 'bye');
    await remove(b, a.id);
    expect((await history(a, { channel: dmChannel(a.id, b.id) })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a sixth message within 5 seconds is RATE_LIMITED with retryAfterSeconds, and the window key expires', async () => {
    const a = await registerPlayer(app);
    for (let i = 0; i < 5; i++) expect(await send(a, 'room:spam', `message ${i}`)).toMatchObject({ __typename: 'ChatMessagePayload' });
    const refused = await send(a, 'room:spam', 'one more');
    expect(refused).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    if (refused.__typename !== 'RateLimitedError') throw new Error('unreachable');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(5);
    const ttl = await app.redisHandle.redis.pttl(chatRateKey(a.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect((await history(a, { channel: 'room:spam' })).data!.chatHistory).toHaveLength(5);
  });

  it('twenty concurrent messages from one player: exactly five are accepted', async () => {
    const a = await registerPlayer(app);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(a, 'room:burst', `m${i}`)));
    expect(results.filter((r) => r.__typename === 'ChatMessagePayload')).toHaveLength(5);
    expect(results.filter((r) => r.__typename === 'RateLimitedError')).toHaveLength(15);
  });

  it('history pages backwards by (createdAt, id): equal times never repeat or skip a message', async () => {
    const a = await registerPlayer(app);
    const channel = 'room:paging';
    const base = Date.now() - 60_000;
    // Seven messages share one instant; three are older and three newer.
    const times = [0, 1, 2, ...Array(7).fill(3), 4, 5, 6].map((offset) => new Date(base + offset * 1000));
    const rows = await app.database.db
      .insert(chatMessages)
      .values(times.map((createdAt, i) => ({ channel, senderId: a.id, body: `m${i}`, createdAt })))
      .returning();
    const expected = [...rows]
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
      .map((row) => row.id);
    const seen: string[] = [];
    let cursor: { before?: string; beforeId?: string } = {};
    for (;;) {
      const page = (await history(a, { channel, first: 3, ...cursor })).data!.chatHistory;
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(3);
      seen.push(...page.map((m) => m.id));
      cursor = { before: page.at(-1)!.createdAt, beforeId: page.at(-1)!.id };
    }
    expect(seen).toEqual(expected);
  });

  it('history before a time alone excludes that instant; first is at most 100', async () => {
    const a = await registerPlayer(app);
    const channel = 'room:before';
    const at = new Date(Date.now() - 10_000);
    await app.database.db.insert(chatMessages).values([
      { channel, senderId: a.id, body: 'older', createdAt: new Date(at.getTime() - 1) },
      { channel, senderId: a.id, body: 'at', createdAt: at },
    ]);
    const page = await history(a, { channel, before: at.toISOString() });
    expect(page.data!.chatHistory.map((m) => m.body)).toEqual(['older']);
    const tooMany = await history(a, { channel, first: 101 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect((await history(a, { channel, first: 100 })).data!.chatHistory).toHaveLength(2);
  });

  it('a page of 50 messages from ten senders costs two statements cold and one warm', async () => {
    const senders = await Promise.all(Array.from({ length: 10 }, () => registerPlayer(app)));
    const channel = 'room:crowd';
    await app.database.db
      .insert(chatMessages)
      .values(Array.from({ length: 50 }, (_, i) => ({ channel, senderId: senders[i % 10]!.id, body: `m${i}` })));
    await app.redisHandle.redis.del(...senders.map((s) => `user:${s.id}:profile`));
    const cold = await app.gqlCounted(ChatHistoryDocument, { channel }, { token: senders[0]!.token });
    expect(cold.response.data!.chatHistory).toHaveLength(50);
    expect(cold.statements).toHaveLength(2);
    const warm = await app.gqlCounted(ChatHistoryDocument, { channel }, { token: senders[0]!.token });
    expect(warm.statements).toHaveLength(1);
  });
});
