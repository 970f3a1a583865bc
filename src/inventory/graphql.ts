import { staleOn } from '../invalidation.js';
import { characterPayload, committedCharacter } from '../characters/graphql.js';
import { ConflictError, ForbiddenError, LimitReachedError, NotFoundError } from '../errors.js';
import { characterWrite, readAfterCommit } from '../graphql/writes.js';
import { builder } from '../graphql/builder.js';
import { playerErrors } from '../graphql/errors.js';
import { addInventoryItems, equipItem, removeInventoryItem, unequipItem, type StackChange } from './inventory.js';
import { ItemRef } from '../reference/graphql.js';

export const InventoryItemRef = builder.drizzleObject('characterInventory', {
  name: 'InventoryItem',
  extensions: staleOn('characterChanged'),
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
      extensions: staleOn('referenceDataApplied'),
      select: { columns: { itemId: true } },
      resolve: (row, _args, ctx) => ctx.loaders.reference('items').load(row.itemId),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const ItemStackInput = builder.inputType('ItemStackInput', {
  fields: (t) => ({ itemId: t.string(), quantity: t.int({ description: 'Positive.' }) }),
});
const AddInventoryItemsInput = builder.inputType('AddInventoryItemsInput', {
  fields: (t) => ({ characterId: t.id(), items: t.field({ type: [ItemStackInput] }) }),
});
const RemoveInventoryItemInput = builder.inputType('RemoveInventoryItemInput', {
  fields: (t) => ({ inventoryItemId: t.id(), quantity: t.int({ description: 'How many to remove; all of the stack removes it.' }) }),
});
const EquipItemInput = builder.inputType('EquipItemInput', {
  fields: (t) => ({
    inventoryItemId: t.id(),
    slot: t.int({ description: '0 head, 1 chest, 2 legs, 3 feet, 4 main hand, 5 off hand, 6 and 7 accessories.' }),
  }),
});

const AddInventoryItemsPayload = characterPayload('AddInventoryItemsPayload');

const InventoryItemPayload = builder.objectRef<StackChange>('InventoryItemPayload').implement({
  fields: (t) => ({
    item: t.drizzleField({
      type: 'characterInventory',
      nullable: true,
      description: 'The stack after the change; null when it was removed entirely.',
      resolve: (query, { inventoryItemId }, _args, ctx) =>
        inventoryItemId
          ? readAfterCommit(() => ctx.db.query.characterInventory.findFirst(query({ where: { id: inventoryItemId } })))
          : null,
    }),
    character: t.drizzleField({ type: 'characters', resolve: committedCharacter }),
  }),
});

builder.mutationFields((t) => ({
  addInventoryItems: t.field({
    type: AddInventoryItemsPayload,
    description: 'Adds items in one go: stackable items merge up to their max stack; all or nothing.',
    args: { input: t.arg({ type: AddInventoryItemsInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, LimitReachedError),
    resolve: characterWrite((ctx, playerId, { input }) =>
      addInventoryItems(ctx.db, playerId, { ...input, characterId: String(input.characterId) }),
    ),
  }),
  removeInventoryItem: t.field({
    type: InventoryItemPayload,
    args: { input: t.arg({ type: RemoveInventoryItemInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: characterWrite((ctx, playerId, { input }) =>
      removeInventoryItem(ctx.db, playerId, { ...input, inventoryItemId: String(input.inventoryItemId) }),
    ),
  }),
  equipItem: t.field({
    type: InventoryItemPayload,
    args: { input: t.arg({ type: EquipItemInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { input }) =>
      equipItem(ctx.db, playerId, { ...input, inventoryItemId: String(input.inventoryItemId) }),
    ),
  }),
  unequipItem: t.field({
    type: InventoryItemPayload,
    args: { inventoryItemId: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: characterWrite((ctx, playerId, { inventoryItemId }) => unequipItem(ctx.db, playerId, String(inventoryItemId))),
  }),
}));
