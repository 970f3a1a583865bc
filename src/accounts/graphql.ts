import type { Context } from '../context.js';
import { ConflictError, InvalidCredentialsError, RateLimitedError, ServiceUnavailableError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { playerErrors } from '../graphql/errors.js';
import { isUuid } from '../validation.js';
import { announce, staleOn } from '../invalidation.js';
import { forgetTavernPlayer } from '../tavern/tavern.js';
import { changePassword, deleteAccount, login, logout, register, type Session } from './accounts.js';

export const PlayerRef = builder.drizzleObject('players', {
  name: 'Player',
  // Player.characters: the player's characters' rows.
  extensions: staleOn('characterChanged'),
  // The public columns, always: then a Player that comes from a Redis record (a tavern
  // participant, through the profile DataLoader) resolves them without a database round
  // trip. password_hash is never selected.
  select: { columns: { id: true, username: true, createdAt: true, lastLogin: true } },
  fields: (t) => ({
    id: t.exposeID('id', { extensions: staleOn('profileChanged') }),
    username: t.exposeString('username', { extensions: staleOn('profileChanged') }),
    email: t.string({
      nullable: true,
      description: 'Visible to the player themself only; null for everyone else.',
      extensions: staleOn('profileChanged'),
      select: { columns: { email: true } },
      resolve: async (player, _args, ctx) => ((await ctx.viewerId().catch(() => null)) === player.id ? player.email : null),
    }),
    createdAt: t.field({ type: 'DateTime', extensions: staleOn('profileChanged'), resolve: (player) => player.createdAt }),
    lastLogin: t.field({
      type: 'DateTime',
      nullable: true,
      extensions: staleOn('profileChanged'),
      resolve: (player) => player.lastLogin,
    }),
    characters: t.relation('characters', { query: { orderBy: { createdAt: 'asc', id: 'asc' } } }),
  }),
});

const AuthPayload = builder.objectRef<Session>('AuthPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Send as `Authorization: Bearer <token>`. Valid for an hour after last use.' }),
    player: t.drizzleField({
      type: 'players',
      resolve: async (query, session, _args, ctx) => (await ctx.db.query.players.findFirst(query({ where: { id: session.playerId } })))!,
    }),
  }),
});

function signedIn(ctx: Context, session: Session): Session {
  ctx.signedIn(session.playerId);
  return session;
}

const DeleteAccountInput = builder.inputType('DeleteAccountInput', {
  fields: (t) => ({ password: t.string() }),
});
const DeleteAccountPayload = builder.objectRef<{ playerId: string }>('DeleteAccountPayload').implement({
  fields: (t) => ({ playerId: t.exposeID('playerId') }),
});

const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  fields: (t) => ({ currentPassword: t.string(), newPassword: t.string({ description: 'At least 8 characters.' }) }),
});
const ChangePasswordPayload = builder.objectRef<{ playerId: string }>('ChangePasswordPayload').implement({
  fields: (t) => ({
    player: t.drizzleField({
      type: 'players',
      resolve: async (query, { playerId }, _args, ctx) => (await ctx.db.query.players.findFirst(query({ where: { id: playerId } })))!,
    }),
  }),
});

const RegisterInput = builder.inputType('RegisterInput', {
  fields: (t) => ({
    username: t.string({ description: '3 to 50 letters, digits or underscores.' }),
    email: t.string(),
    password: t.string({ description: 'At least 8 characters.' }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    login: t.string({ description: 'Username or email.' }),
    password: t.string(),
  }),
});

builder.queryFields((t) => ({
  viewer: t.drizzleField({
    type: 'players',
    nullable: true,
    description: 'The signed-in player, or null.',
    resolve: async (query, _root, _args, ctx) => {
      const id = await ctx.viewerId();
      return id ? ctx.db.query.players.findFirst(query({ where: { id } })) : null;
    },
  }),
  player: t.drizzleField({
    type: 'players',
    nullable: true,
    args: { id: t.arg.id() },
    resolve: (query, _root, { id }, ctx) =>
      isUuid(String(id)) ? ctx.db.query.players.findFirst(query({ where: { id: String(id) } })) : null,
  }),
}));

builder.mutationFields((t) => ({
  register: t.field({
    type: AuthPayload,
    description: 'Creates an account and signs it in.',
    args: { input: t.arg({ type: RegisterInput }) },
    errors: { types: [ValidationError, ConflictError, ServiceUnavailableError] },
    resolve: async (_root, { input }, ctx) => signedIn(ctx, await register(ctx.db, ctx.redis, input)),
  }),
  login: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: LoginInput }) },
    errors: { types: [InvalidCredentialsError, RateLimitedError, ServiceUnavailableError, ValidationError] },
    resolve: async (_root, { input }, ctx) => {
      const session = await login(ctx.db, ctx.redis, input, ctx.clientAddress);
      await announce(ctx, { type: 'profileChanged', playerId: session.playerId }); // lastLogin
      return signedIn(ctx, session);
    },
  }),
  deleteAccount: t.field({
    type: DeleteAccountPayload,
    description: "Deletes the viewer's account with all its characters. Asks for the password again.",
    args: { input: t.arg({ type: DeleteAccountInput }) },
    authScopes: { player: true },
    errors: playerErrors(InvalidCredentialsError, RateLimitedError),
    resolve: async (_root, { input }, ctx) => {
      const playerId = ctx.playerId();
      const deleted = await deleteAccount(ctx.db, ctx.redis, playerId, { password: input.password, clientAddress: ctx.clientAddress });
      // Deleted and signed out (committed). The tavern tallies of a deleted player are only tidied up
      // here: nothing reads them any more, so a failure leaves them behind rather than failing the delete.
      await forgetTavernPlayer(ctx, playerId).catch((error: Error) =>
        ctx.log.warn({ err: { message: error.message }, playerId }, 'tavern keys of a deleted account left behind'),
      );
      await announce(ctx, { type: 'accountDeleted', ...deleted });
      return { playerId };
    },
  }),
  changePassword: t.field({
    type: ChangePasswordPayload,
    description: "Changes the viewer's password and ends every other session of the account.",
    args: { input: t.arg({ type: ChangePasswordInput }) },
    authScopes: { player: true },
    errors: playerErrors(InvalidCredentialsError, RateLimitedError),
    resolve: async (_root, { input }, ctx) => {
      const playerId = ctx.playerId();
      await changePassword(ctx.db, ctx.redis, playerId, { ...input, sessionToken: ctx.sessionToken, clientAddress: ctx.clientAddress });
      return { playerId };
    },
  }),
  logout: t.boolean({
    description: 'Ends the current session. False when there was none.',
    resolve: (_root, _args, ctx) => (ctx.sessionToken ? logout(ctx.redis, ctx.sessionToken) : false),
  }),
}));
