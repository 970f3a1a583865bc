import { committedCharacter } from '../characters/types.js';
import { AttributeEnum, RankEnum } from '../characters/enums.js';
import { ConflictError, ForbiddenError, LimitReachedError, NotFoundError } from '../errors.js';
import { AUTHENTICATED_ERRORS } from '../graphql/errors.js';
import { awakenAbility, rankUpAbility } from './abilities.js';
import { bondEssence } from './bond.js';
import { characterWrite } from '../context.js';
import { builder } from '../graphql/builder.js';
import { EssenceTypeRef } from '../reference/types.js';

export const EssenceRef = builder.drizzleObject('characterEssences', {
  name: 'Essence',
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    essenceType: t.exposeString('essenceType'),
    type: t.field({
      type: EssenceTypeRef,
      nullable: true,
      description: 'The reference record for essenceType.',
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

const BondEssencePayload = builder.objectRef<{ essenceId: string; characterId: string }>('BondEssencePayload').implement({
  fields: (t) => ({
    essence: t.drizzleField({
      type: 'characterEssences',
      resolve: async (query, { essenceId }, _args, ctx) =>
        (await ctx.db.query.characterEssences.findFirst(query({ where: { id: essenceId } })))!,
    }),
    character: t.drizzleField({ type: 'characters', resolve: committedCharacter }),
  }),
});

const AbilityPayload = builder.objectRef<{ id: string }>('AbilityPayload').implement({
  fields: (t) => ({
    ability: t.drizzleField({
      type: 'characterAbilities',
      resolve: async (query, { id }, _args, ctx) => (await ctx.db.query.characterAbilities.findFirst(query({ where: { id } })))!,
    }),
  }),
});

const OWNED_ROW_ERRORS = [...AUTHENTICATED_ERRORS, ForbiddenError, NotFoundError] as const;

builder.mutationFields((t) => ({
  bondEssence: t.field({
    type: BondEssencePayload,
    description: 'Bonds an essence (at most four per character), granting its abilities and attribute bonus.',
    args: { input: t.arg({ type: BondEssenceInput }) },
    errors: { types: [...OWNED_ROW_ERRORS, LimitReachedError, ConflictError] },
    resolve: async (_root, { input }, ctx) =>
      characterWrite(ctx, bondEssence(ctx.db, await ctx.requireViewerId(), { ...input, characterId: String(input.characterId) })),
  }),
  awakenAbility: t.field({
    type: AbilityPayload,
    args: { abilityId: t.arg.id() },
    errors: { types: [...OWNED_ROW_ERRORS, ConflictError] },
    resolve: async (_root, { abilityId }, ctx) =>
      characterWrite(ctx, awakenAbility(ctx.db, await ctx.requireViewerId(), String(abilityId))),
  }),
  rankUpAbility: t.field({
    type: AbilityPayload,
    description: "Raises an ability one rank, never above its character's rank.",
    args: { abilityId: t.arg.id() },
    errors: { types: [...OWNED_ROW_ERRORS] },
    resolve: async (_root, { abilityId }, ctx) =>
      characterWrite(ctx, rankUpAbility(ctx.db, await ctx.requireViewerId(), String(abilityId))),
  }),
}));
