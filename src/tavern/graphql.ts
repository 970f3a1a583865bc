import type { PublicProfile } from '../accounts/player-profiles.js';
import { PlayerRef } from '../accounts/graphql.js';
import type { Context } from '../context.js';
import { ConflictError, ForbiddenError, LimitReachedError, NotFoundError } from '../errors.js';
import { GAME_LIMITS } from '../limits.js';
import { builder } from '../graphql/builder.js';
import { storedEnum } from '../graphql/enums.js';
import { playerErrors } from '../graphql/errors.js';
import { liveEvent } from '../graphql/live.js';
import { announce, readLive, staleWithParent } from '../invalidation.js';
import { DRINK_GUARD_KEYS, recordDrinkProgress } from '../progress/achievements.js';
import type { BusLost } from '../redis/pubsub.js';
import {
  activeGames,
  assignDrink,
  drinkStats,
  drinksBetween,
  endGame,
  gameByChannel,
  joinGame,
  playerGames,
  readGame,
  startGame,
  watchGame,
  type Drink,
  type TavernEvent,
  type TavernGame,
} from './tavern.js';

/**
 * Players named in Redis records, through the request's DataLoader (one batch per tick).
 * A profile carries Player's always-selected columns, with timestamps as ISO strings,
 * which DateTime serializes alike; hence the `as never` where it stands in for a row.
 */
async function players(ctx: Context, ids: string[]): Promise<PublicProfile[]> {
  const profiles = await ctx.loaders.player.loadMany(ids);
  return profiles.filter((p): p is PublicProfile => p !== null && !(p instanceof Error));
}
/** A player named in a record; null once that account is deleted. */
async function player(ctx: Context, id: string): Promise<PublicProfile | null> {
  return ctx.loaders.player.load(id);
}

const TavernGameStatusEnum = storedEnum('TavernGameStatus', ['active', 'ended']);

const DrinkRef = builder.objectRef<Drink>('Drink').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    from: t.field({
      type: PlayerRef,
      nullable: true,
      description: "Null once that player's account is deleted.",
      resolve: (drink, _args, ctx) => player(ctx, drink.from) as never,
    }),
    to: t.field({
      type: PlayerRef,
      nullable: true,
      description: "Null once that player's account is deleted.",
      resolve: (drink, _args, ctx) => player(ctx, drink.to) as never,
    }),
    reason: t.exposeString('reason', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (drink) => new Date(drink.at) }),
  }),
});

const TavernGameRef = builder.objectRef<TavernGame>('TavernGame').implement({
  description: 'A dice game in a chat channel; losing rolls assign drinks.',
  fields: (t) => ({
    id: t.exposeID('id'),
    channelId: t.exposeString('channelId'),
    status: t.field({ type: TavernGameStatusEnum, resolve: (game) => game.status }),
    participants: t.field({ type: [PlayerRef], resolve: (game, _args, ctx) => players(ctx, game.participants) as never }),
    createdAt: t.field({ type: 'DateTime', resolve: (game) => new Date(game.createdAt) }),
    endedAt: t.field({ type: 'DateTime', nullable: true, resolve: (game) => (game.endedAt ? new Date(game.endedAt) : null) }),
    drinks: t.field({
      type: [DrinkRef],
      description: 'The ledger between since and until (inclusive), oldest first; at most 500 drinks.',
      args: { since: t.arg({ type: 'DateTime', required: false }), until: t.arg({ type: 'DateTime', required: false }) },
      resolve: (game, { since, until }, ctx) => drinksBetween(ctx, game.id, since ?? null, until ?? null),
    }),
  }),
});

const DrinkStatsRef = builder.objectRef<{ assigned: number; received: number }>('DrinkStats').implement({
  extensions: staleWithParent(),
  fields: (t) => ({ assigned: t.exposeInt('assigned'), received: t.exposeInt('received') }),
});

builder.objectField(PlayerRef, 'drinkStats', (t) =>
  t.field({
    type: DrinkStatsRef,
    description: "The player's drinks so far, read from player_drinks:{id} on every request.",
    extensions: readLive(),
    resolve: (p, _args, ctx) => drinkStats(ctx, p.id),
  }),
);

const TavernGamePayload = builder.objectRef<TavernGame>('TavernGamePayload').implement({
  fields: (t) => ({ game: t.field({ type: TavernGameRef, resolve: (game) => game }) }),
});
const DrinkPayload = builder.objectRef<Drink>('DrinkPayload').implement({
  fields: (t) => ({ drink: t.field({ type: DrinkRef, resolve: (drink) => drink }) }),
});
const AssignDrinkInput = builder.inputType('AssignDrinkInput', {
  fields: (t) => ({ gameId: t.id(), toPlayerId: t.id(), reason: t.string({ required: false }) }),
});

builder.queryFields((t) => ({
  tavernGame: t.field({
    type: TavernGameRef,
    nullable: true,
    args: { id: t.arg.id() },
    resolve: async (_root, { id }, ctx) => (await readGame(ctx, String(id)))?.game ?? null,
  }),
  tavernGameByChannel: t.field({
    type: TavernGameRef,
    nullable: true,
    description: "The channel's active game, if any.",
    args: { channelId: t.arg.string() },
    resolve: (_root, { channelId }, ctx) => gameByChannel(ctx, channelId),
  }),
  activeTavernGames: t.field({
    type: [TavernGameRef],
    description: 'Active games, oldest first; `first` at most 100.',
    args: { first: t.arg.int({ required: false, defaultValue: GAME_LIMITS.activeTavernGamesPage.default }) },
    resolve: (_root, { first }, ctx) => activeGames(ctx, first ?? GAME_LIMITS.activeTavernGamesPage.default),
  }),
  myTavernGames: t.field({
    type: [TavernGameRef],
    description: "The viewer's active games, oldest first; at most 50.",
    authScopes: { player: true },
    resolve: (_root, _args, ctx) => playerGames(ctx, ctx.playerId()),
  }),
}));

builder.mutationFields((t) => ({
  startTavernGame: t.field({
    type: TavernGamePayload,
    description: 'Starts a game in a channel (one active game per channel) and joins it.',
    args: { channelId: t.arg.string() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError, ConflictError, ForbiddenError),
    resolve: (_root, { channelId }, ctx) => startGame(ctx, ctx.playerId(), { channelId }),
  }),
  joinTavernGame: t.field({
    type: TavernGamePayload,
    args: { gameId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError, ConflictError, ForbiddenError, LimitReachedError),
    resolve: (_root, { gameId }, ctx) => joinGame(ctx, ctx.playerId(), String(gameId)),
  }),
  assignDrink: t.field({
    type: DrinkPayload,
    description: 'A participant assigns a drink to another participant of an active game.',
    args: { input: t.arg({ type: AssignDrinkInput }) },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError, ConflictError, ForbiddenError),
    resolve: async (_root, { input }, ctx) => {
      const playerId = ctx.playerId();
      const { drink, read } = await assignDrink(
        ctx,
        playerId,
        { gameId: String(input.gameId), toPlayerId: String(input.toPlayerId), reason: input.reason },
        DRINK_GUARD_KEYS,
      );
      // The drink is in Redis, where drinkStats reads it (nothing caches those); the
      // drinks_assigned achievements it advances are in PostgreSQL.
      if (await recordDrinkProgress(ctx, playerId, read)) await announce(ctx, { type: 'progressChanged', playerId });
      return drink;
    },
  }),
  endTavernGame: t.field({
    type: TavernGamePayload,
    args: { gameId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(NotFoundError, ConflictError, ForbiddenError),
    resolve: (_root, { gameId }, ctx) => endGame(ctx, ctx.playerId(), String(gameId)),
  }),
}));

const TavernGameEventRef = builder.objectRef<TavernEvent>('TavernGameEvent').implement({
  description: 'Something that happened in a tavern game, with the game as it stood then.',
  fields: (t) => ({
    type: t.exposeString('type', { description: 'JOINED, DRINK or ENDED.' }),
    game: t.field({ type: TavernGameRef, resolve: (event) => event.game }),
    drink: t.field({ type: DrinkRef, nullable: true, description: 'The drink of a DRINK event.', resolve: (event) => event.drink }),
    player: t.field({
      type: PlayerRef,
      nullable: true,
      description: 'Who joined, assigned the drink or ended the game.',
      resolve: (event, _args, ctx) => ctx.loaders.player.load(event.playerId) as never,
    }),
  }),
});

builder.subscriptionFields((t) => ({
  tavernGameEvents: t.field({
    type: TavernGameEventRef,
    description: 'Joins, drinks and the end of a game. Refusals (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND) are checked at start.',
    args: { gameId: t.arg.id() },
    authScopes: { player: true },
    subscribe: (_root, { gameId }, ctx) => watchGame(ctx, ctx.playerId(), String(gameId)),
    resolve: (event: TavernEvent | BusLost) => liveEvent(event),
  }),
}));
