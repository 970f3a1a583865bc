import { staleOn, staleWithParent } from '../invalidation.js';
import { CHARACTER_TTL_SECONDS, characterKey } from '../cache/keys.js';
import type { Context } from '../context.js';
import { ConflictError, LimitReachedError, ValidationError } from '../errors.js';
import { playerErrors } from '../graphql/errors.js';
import { characterWrite, readAfterCommit } from '../graphql/writes.js';
import { builder } from '../graphql/builder.js';
import { storedEnum } from '../graphql/enums.js';
import { sqlJsonColumnObject, sqlJsonConnection } from '../graphql/sql-json.js';
import { withLatestState } from '../live-state/live-state.js';
import { isUuid } from '../validation.js';
import { ATTRIBUTES, characters, RANKS } from './tables.js';
import { createCharacter } from './characters.js';
import type { Attributes } from './vitals.js';

/** Ranks from low to high. */
export const RankEnum = storedEnum('Rank', RANKS);
export const AttributeEnum = storedEnum('Attribute', ATTRIBUTES);

export const AttributesRef = builder.objectRef<Attributes>('Attributes').implement({
  extensions: staleWithParent(),
  fields: (t) => ({
    power: t.exposeInt('power'),
    speed: t.exposeInt('speed'),
    spirit: t.exposeInt('spirit'),
    recovery: t.exposeInt('recovery'),
  }),
});

/** Largest page of `characters` (the builder's maxConnectionSize). */
const MAX_PAGE = 100;
/** The order of `characters` pages; plugin-drizzle appends the primary key. */
const PAGE_ORDER = { createdAt: 'asc' } as const;

// Live state is written behind (src/live-state/): the row may be older than the latest
// accepted update, which the pending store holds. Each read shows whichever is newer.
const liveField = {
  select: { columns: { liveStateSeq: true, currentRoomId: true, health: true, mana: true, stamina: true } },
  extensions: staleOn('liveStateChanged'),
} as const;

type LiveColumns = { id: string; liveStateSeq: number; currentRoomId: string | null; health: number; mana: number; stamina: number };
const latestState = async (row: LiveColumns, ctx: Context) => withLatestState(row, await ctx.loaders.liveState.load(row.id));

const byCreation = { orderBy: { createdAt: 'asc', id: 'asc' } } as const;

export const CharacterRef = builder.drizzleObject('characters', {
  name: 'Character',
  extensions: staleOn('characterChanged'),
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    rank: t.expose('rank', { type: RankEnum }),
    attributes: t.field({
      type: AttributesRef,
      extensions: { ...staleOn('characterChanged'), ...sqlJsonColumnObject },
      select: { columns: { power: true, speed: true, spirit: true, recovery: true } },
      resolve: ({ power, speed, spirit, recovery }) => ({ power, speed, spirit, recovery }),
    }),
    raceId: t.exposeString('raceId', { nullable: true, description: 'The Race chosen at creation, if any.' }),
    classId: t.exposeString('classId', { nullable: true, description: 'The CharacterClass chosen at creation, if any.' }),
    currentRoomId: t.string({ nullable: true, ...liveField, resolve: async (c, _a, ctx) => (await latestState(c, ctx)).currentRoomId }),
    health: t.int({ ...liveField, resolve: async (c, _a, ctx) => (await latestState(c, ctx)).health }),
    mana: t.int({ ...liveField, resolve: async (c, _a, ctx) => (await latestState(c, ctx)).mana }),
    stamina: t.int({ ...liveField, resolve: async (c, _a, ctx) => (await latestState(c, ctx)).stamina }),
    inventoryMaxSlots: t.exposeInt('inventoryMaxSlots'),
    inventoryExpansionLevel: t.exposeInt('inventoryExpansionLevel'),
    player: t.relation('player'),
    essences: t.relation('essences', { query: byCreation }),
    abilities: t.relation('abilities', { query: byCreation }),
    inventory: t.relation('inventory', { query: byCreation }),
    activeQuests: t.relation('quests', {
      query: { where: { status: 'active' }, orderBy: { startedAt: 'asc', id: 'asc' } },
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

type CharacterQuery = (options: { where: { id: string } }) => Parameters<Context['db']['query']['characters']['findFirst']>[0];

/**
 * Resolves a payload's `character` field: the character as committed, loaded after the
 * transaction with whatever selection the client asked for.
 */
export function committedCharacter(query: CharacterQuery, parent: { characterId: string }, _args: unknown, ctx: Context) {
  return readAfterCommit(() => ctx.db.query.characters.findFirst(query({ where: { id: parent.characterId } })));
}

/** A character with the selection the client asked for, through the character cache (planned rows). */
export function readCharacter(query: CharacterQuery, id: string, ctx: Context) {
  const options = query({ where: { id } });
  return ctx.cache.read('character', characterKey(id), options, () => ctx.db.query.characters.findFirst(options), CHARACTER_TTL_SECONDS);
}

/** A mutation payload carrying just the changed character. */
export function characterPayload(name: string, description?: string) {
  return builder.objectRef<{ characterId: string }>(name).implement({
    description,
    fields: (t) => ({
      character: t.drizzleField({ type: 'characters', resolve: committedCharacter }),
    }),
  });
}

export const CreateCharacterPayload = characterPayload('CreateCharacterPayload');

const CreateCharacterInput = builder.inputType('CreateCharacterInput', {
  fields: (t) => ({
    name: t.string({ description: '2 to 50 characters: letters, digits, single spaces, apostrophes, hyphens.' }),
  }),
});

builder.queryFields((t) => ({
  character: t.drizzleField({
    type: 'characters',
    nullable: true,
    args: { id: t.arg.id() },
    description: 'A character with everything it owns; cached for 5 minutes per selection, dropped on every change.',
    extensions: staleOn('characterChanged', 'accountDeleted'),
    resolve: (query, _root, { id }, ctx) => (isUuid(String(id)) ? readCharacter(query, String(id), ctx) : null),
  }),
  characters: t.drizzleConnection(
    {
      type: 'characters',
      description: 'Every character, oldest first; at most 100 a page.',
      // A page of column and relation fields is answered by one statement that builds the body.
      extensions: sqlJsonConnection({ orderBy: PAGE_ORDER, maxPage: MAX_PAGE }),
      totalCount: (_root, _args, ctx) => ctx.db.$count(characters),
      resolve: (query, _root, args, ctx) => {
        for (const field of ['first', 'last'] as const) {
          const size = args[field];
          if (size != null && (size < 0 || size > MAX_PAGE)) throw new ValidationError(`${field}: must be 0 to ${MAX_PAGE}`, field);
        }
        return ctx.db.query.characters.findMany(query({ orderBy: PAGE_ORDER }));
      },
    },
    { name: 'CharacterConnection' },
    { name: 'CharacterEdge' },
  ),
}));

builder.mutationFields((t) => ({
  createCharacter: t.field({
    type: CreateCharacterPayload,
    description: 'Creates a character for the signed-in player.',
    args: { input: t.arg({ type: CreateCharacterInput }) },
    authScopes: { player: true },
    errors: playerErrors(ConflictError, LimitReachedError),
    resolve: characterWrite(async (ctx, playerId, { input }) => ({ characterId: (await createCharacter(ctx.db, playerId, input)).id })),
  }),
}));
