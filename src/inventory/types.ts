import { builder } from '../graphql/builder.js';

export const InventoryItemRef = builder.drizzleObject('characterInventory', {
  name: 'InventoryItem',
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    itemId: t.exposeString('itemId'),
    quantity: t.exposeInt('quantity'),
    slot: t.exposeInt('slot', { nullable: true, description: 'The equipment slot, or null when carried.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
