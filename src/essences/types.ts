import { AttributeEnum, RankEnum } from '../characters/enums.js';
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
