import { PlayerRef } from '../accounts/graphql.js';
import type { PublicProfile } from '../accounts/player-profiles.js';
import type { Context } from '../context.js';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { readAfterCommit } from '../graphql/writes.js';
import { storedEnum } from '../graphql/enums.js';
import { playerErrors } from '../graphql/errors.js';
import { liveEvent } from '../graphql/live.js';
import type { BusLost } from '../redis/pubsub.js';
import { type ChatMessage, chatHistory, chatStream, sendChatMessage } from './chat.js';
import { addFriend, blockPlayer, type Friendship, friendsQuery, removeFriend } from './friends.js';
import { FRIENDSHIP_STATES } from './tables.js';

const FriendshipStateEnum = storedEnum('FriendshipState', FRIENDSHIP_STATES, 'How the viewer stands with another player.');

const FriendRef = builder.drizzleObject('friendships', {
  name: 'Friend',
  description: 'Another player, as the viewer sees them.',
  fields: (t) => ({
    player: t.relation('other'),
    state: t.field({ type: FriendshipStateEnum, resolve: (row) => row.state }),
    since: t.field({ type: 'DateTime', description: 'When this state began.', resolve: (row) => row.updatedAt }),
  }),
});

const FriendPayload = builder.objectRef<Friendship>('FriendPayload').implement({
  fields: (t) => ({
    friend: t.drizzleField({
      type: FriendRef,
      resolve: (query, row, _args, ctx) =>
        readAfterCommit(() => ctx.db.query.friendships.findFirst(query({ where: { playerId: row.playerId, otherId: row.otherId } }))),
    }),
  }),
});
const RemoveFriendPayload = builder.objectRef<{ playerId: string }>('RemoveFriendPayload').implement({
  fields: (t) => ({ playerId: t.exposeID('playerId') }),
});

/** A message's sender: carried by live events, else one DataLoader batch per request. */
async function sender(ctx: Context, message: ChatMessage): Promise<PublicProfile> {
  const profile = message.sender ?? (await ctx.loaders.player.load(message.senderId));
  if (!profile) throw new Error(`sender ${message.senderId} of chat message ${message.id} does not exist`);
  return profile;
}

const ChatMessageRef = builder.objectRef<ChatMessage>('ChatMessage').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.exposeString('channel'),
    // A profile stands in for a Player row (see src/tavern/graphql.ts).
    from: t.field({ type: PlayerRef, resolve: (message, _args, ctx) => sender(ctx, message) as never }),
    body: t.exposeString('body'),
    createdAt: t.field({ type: 'DateTime', resolve: (message) => message.createdAt }),
  }),
});
const ChatMessagePayload = builder.objectRef<ChatMessage>('ChatMessagePayload').implement({
  fields: (t) => ({ message: t.field({ type: ChatMessageRef, resolve: (message) => message }) }),
});

builder.queryFields((t) => ({
  myFriends: t.drizzleField({
    type: [FriendRef],
    description: "The viewer's friends, invites and blocks (or those in one state), most recently changed first.",
    args: { state: t.arg({ type: FriendshipStateEnum, required: false }) },
    authScopes: { player: true },
    resolve: (query, _root, { state }, ctx) => ctx.db.query.friendships.findMany(query(friendsQuery(ctx.playerId(), state ?? null))),
  }),
  chatHistory: t.field({
    type: [ChatMessageRef],
    description:
      "A page of a channel's messages older than `before` (now when omitted), newest first, at most 100. " +
      "For the next page pass the last message's createdAt as `before` and its id as `beforeId`.",
    args: {
      channel: t.arg.string(),
      before: t.arg({ type: 'DateTime', required: false }),
      beforeId: t.arg.id({ required: false }),
      first: t.arg.int({ required: false, defaultValue: 50 }),
    },
    authScopes: { player: true },
    resolve: (_root, { channel, before, beforeId, first }, ctx) =>
      chatHistory(ctx.db, ctx.playerId(), { channel, before, beforeId: beforeId == null ? null : String(beforeId), first }),
  }),
}));

builder.mutationFields((t) => ({
  addFriend: t.field({
    type: FriendPayload,
    description: 'Invites a player, or accepts their invite.',
    args: { playerId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError, ForbiddenError, ConflictError),
    resolve: (_root, { playerId }, ctx) => addFriend(ctx.db, ctx.playerId(), String(playerId)),
  }),
  removeFriend: t.field({
    type: RemoveFriendPayload,
    description: 'Ends a friendship, withdraws or declines an invite, or lifts your block.',
    args: { playerId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError),
    resolve: async (_root, { playerId }, ctx) => {
      await removeFriend(ctx.db, ctx.playerId(), String(playerId));
      return { playerId: String(playerId) };
    },
  }),
  blockPlayer: t.field({
    type: FriendPayload,
    description: 'Blocks a player: ends any friendship or invite; they can no longer invite or message you.',
    args: { playerId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError),
    resolve: (_root, { playerId }, ctx) => blockPlayer(ctx.db, ctx.playerId(), String(playerId)),
  }),
  sendChatMessage: t.field({
    type: ChatMessagePayload,
    description: 'Posts to room:{name} or to dm:{a}:{b} (two friends, ids sorted). Body: 1 to 500 characters after trimming.',
    args: { channel: t.arg.string(), body: t.arg.string() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, RateLimitedError),
    resolve: (_root, { channel, body }, ctx) => sendChatMessage(ctx, ctx.playerId(), { channel, body }),
  }),
}));

builder.subscriptionFields((t) => ({
  chatMessages: t.field({
    type: ChatMessageRef,
    description: 'New messages of a channel you may read. Refusals (UNAUTHENTICATED, FORBIDDEN, VALIDATION) are checked at start.',
    args: { channel: t.arg.string() },
    authScopes: { player: true },
    subscribe: (_root, { channel }, ctx) => chatStream(ctx, ctx.playerId(), channel),
    resolve: (event: ChatMessage | BusLost) => liveEvent(event),
  }),
}));
