import { builder } from '../graphql/builder.js';
import { ItemRef } from '../reference/types.js';

export const InventoryItemRef = builder.drizzleObject('characterInventory', {
  name: 'InventoryItem',
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    itemId: t.exposeString('itemId'),
    quantity: t.exposeInt('quantity'),
    slot: t.exposeInt('slot', { nullable: true, description: 'The equipment slot, or null when carried.' }),
    item: t.field({
      type: ItemRef,
      nullable: true,
      description: 'The reference record for itemId (null if it was removed from the game data).',
      select: { columns: { itemId: true } },
      resolve: (row, _args, ctx) => ctx.loaders.reference('items').load(row.itemId),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
