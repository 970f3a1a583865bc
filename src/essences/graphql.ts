import { staleOn } from '../invalidation.js';
import { AttributeEnum, committedCharacter, RankEnum } from '../characters/graphql.js';
import { ConflictError, ForbiddenError, LimitReachedError, NotFoundError } from '../errors.js';
import { playerErrors } from '../graphql/errors.js';
import { awakenAbility, rankUpAbility } from './abilities.js';
import { bondEssence } from './bond.js';
import { characterWrite, heldRow, readAfterCommit } from '../graphql/writes.js';
import { builder } from '../graphql/builder.js';
import { EssenceTypeRef } from '../reference/graphql.js';

export const EssenceRef = builder.drizzleObject('characterEssences', {
  name: 'Essence',
  extensions: staleOn('characterChanged'),
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    essenceType: t.exposeString('essenceType'),
    type: t.field({
      type: EssenceTypeRef,
      nullable: true,
      description: 'The reference record for essenceType.',
      extensions: staleOn('referenceDataApplied'),
      select: { columns: { essenceType: true } },
      resolve: (essence, _args, ctx) => ctx.loaders.reference('essences').load(essence.essenceType),
    }),
    attributeBound: t.expose('attributeBound', { type: AttributeEnum }),
    rankBonded: t.expose('rankBonded', { type: RankEnum }),
    abilities: t.relation('abilities', { query: { orderBy: { createdAt: 'asc', id: 'asc' } } }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const AbilityRef = builder.drizzleObject('characterAbilities', {
  name: 'Ability',
  extensions: staleOn('characterChanged'),
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    abilityName: t.exposeString('abilityName'),
    currentRank: t.expose('currentRank', { type: RankEnum }),
    awakened: t.exposeBoolean('awakened'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const BondEssenceInput = builder.inputType('BondEssenceInput', {
  fields: (t) => ({
    characterId: t.id(),
    essenceType: t.string({ description: 'An EssenceType id, e.g. "fire".' }),
    attribute: t.field({ type: AttributeEnum, description: "The attribute the essence binds to; it gains the essence's bonus for it." }),
  }),
});

export const BondEssencePayload = builder.objectRef<Awaited<ReturnType<typeof bondEssence>>>('BondEssencePayload').implement({
  fields: (t) => ({
    essence: t.drizzleField({
      type: 'characterEssences',
      resolve: (query, { essence }, _args, ctx) => {
        const selection = query({ where: { id: essence.id } });
        return heldRow(selection, essence) ?? readAfterCommit(() => ctx.db.query.characterEssences.findFirst(selection));
      },
    }),
    character: t.drizzleField({ type: 'characters', resolve: committedCharacter }),
  }),
});

const AbilityPayload = builder.objectRef<{ id: string }>('AbilityPayload').implement({
  fields: (t) => ({
    ability: t.drizzleField({
      type: 'characterAbilities',
      resolve: (query, { id }, _args, ctx) => readAfterCommit(() => ctx.db.query.characterAbilities.findFirst(query({ where: { id } }))),
    }),
  }),
});

builder.mutationFields((t) => ({
  bondEssence: t.field({
    type: BondEssencePayload,
    description: 'Bonds an essence (at most four per character), granting its abilities and attribute bonus.',
    args: { input: t.arg({ type: BondEssenceInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, LimitReachedError, ConflictError),
    resolve: characterWrite(
      async (ctx, playerId, { input }) =>
        bondEssence(ctx.db, playerId, { ...input, characterId: String(input.characterId) }, await ctx.reference.all('achievements')),
      (playerId) => [{ type: 'progressChanged', playerId }],
    ),
  }),
  awakenAbility: t.field({
    type: AbilityPayload,
    args: { abilityId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { abilityId }) => awakenAbility(ctx.db, playerId, String(abilityId))),
  }),
  rankUpAbility: t.field({
    type: AbilityPayload,
    description: "Raises an ability one rank, never above its character's rank.",
    args: { abilityId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: characterWrite((ctx, playerId, { abilityId }) => rankUpAbility(ctx.db, playerId, String(abilityId))),
  }),
}));
