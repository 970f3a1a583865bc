import { readdirSync, readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { characters } from '../src/characters/tables.js';
import { characterInventory } from '../src/inventory/tables.js';
import { AddInventoryItemsDocument, EquipItemDocument, RemoveInventoryItemDocument, UnequipItemDocument } from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { createCharacterFor, registerPlayer, type SignedInPlayer } from './support/players.js';

const app = useTestApp();
let owner: SignedInPlayer;
// A fresh owner per test: a player has at most ten characters.
beforeEach(async () => {
  owner = await registerPlayer(app);
});

type Stack = { itemId: string; quantity: number };
const add = (characterId: string, items: Stack[], token: string | null = owner.token) =>
  app.gql(AddInventoryItemsDocument, { input: { characterId, items } }, { token }).then((r) => r.data!.addInventoryItems);
const equip = (inventoryItemId: string, slot: number, token = owner.token) =>
  app.gql(EquipItemDocument, { input: { inventoryItemId, slot } }, { token }).then((r) => r.data!.equipItem);
const remove = (inventoryItemId: string, quantity: number, token = owner.token) =>
  app.gql(RemoveInventoryItemDocument, { input: { inventoryItemId, quantity } }, { token }).then((r) => r.data!.removeInventoryItem);

const stacksOf = (characterId: string) =>
  app.database.db
    .select()
    .from(characterInventory)
    .where(eq(characterInventory.characterId, characterId))
    .orderBy(characterInventory.quantity);

async function stackOf(characterId: string, itemId: string) {
  return (await stacksOf(characterId)).find((s) => s.itemId === itemId)!;
}

describe('addInventoryItems', () => {
  it('merges a stackable item into carried stacks up to its max stack, then opens new stacks', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'minor_health_potion', quantity: 15 }]); // max stack 20
    const result = await add(character.id, [
      { itemId: 'minor_health_potion', quantity: 10 },
      { itemId: 'minor_health_potion', quantity: 20 },
    ]);
    expect(result.__typename).toBe('AddInventoryItemsPayload');
    expect((await stacksOf(character.id)).map((s) => s.quantity).sort((a, b) => a - b)).toEqual([5, 20, 20]);
  });

  it('gives each unit of an item that does not stack its own stack', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'rusty_shortsword', quantity: 2 }]);
    expect((await stacksOf(character.id)).map((s) => [s.itemId, s.quantity])).toEqual([
      ['rusty_shortsword', 1],
      ['rusty_shortsword', 1],
    ]);
  });

  it.each([
    ['an unknown item', [{ itemId: 'gold_bar', quantity: 1 }], 'items[1].itemId'],
    ['a zero quantity', [{ itemId: 'torch', quantity: 0 }], 'items[1].quantity'],
    ['a negative quantity', [{ itemId: 'torch', quantity: -3 }], 'items[1].quantity'],
  ])('refuses %s with VALIDATION naming the entry, and adds nothing', async (_label, bad, field) => {
    const character = await createCharacterFor(app, owner);
    const result = await add(character.id, [{ itemId: 'torch', quantity: 1 }, ...bad]);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
    expect(await stacksOf(character.id)).toEqual([]);
  });

  it('refuses more stacks than inventory_max_slots with INVENTORY_FULL, and adds nothing', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'leather_cap', quantity: 19 }]);
    const result = await add(character.id, [
      { itemId: 'torch', quantity: 1 },
      { itemId: 'iron_buckler', quantity: 1 },
    ]);
    expect(result).toMatchObject({ __typename: 'LimitReachedError', code: 'INVENTORY_FULL', limit: 20 });
    expect(await stacksOf(character.id)).toHaveLength(19);
    // Topping up an existing stack needs no new slot.
    await add(character.id, [{ itemId: 'torch', quantity: 1 }]);
    expect((await add(character.id, [{ itemId: 'torch', quantity: 5 }])).__typename).toBe('AddInventoryItemsPayload');
    expect((await stackOf(character.id, 'torch')).quantity).toBe(6);
  });

  it('twenty concurrent additions to a nearly full inventory never exceed inventory_max_slots', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'leather_cap', quantity: 18 }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => add(character.id, [{ itemId: 'starfall_ring', quantity: 1 }])));
    expect(results.filter((r) => r.__typename === 'AddInventoryItemsPayload')).toHaveLength(2);
    const refused = results.filter((r) => r.__typename !== 'AddInventoryItemsPayload');
    expect(refused).toHaveLength(18);
    for (const r of refused) expect(r).toMatchObject({ code: 'INVENTORY_FULL' });
    expect(await stacksOf(character.id)).toHaveLength(20);
  });

  it("refuses another player's character with FORBIDDEN", async () => {
    const character = await createCharacterFor(app, owner);
    const stranger = await registerPlayer(app);
    expect(await add(character.id, [{ itemId: 'torch', quantity: 1 }], stranger.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await stacksOf(character.id)).toEqual([]);
  });
});

describe('removeInventoryItem', () => {
  it('removes part of a stack, or the whole stack; more than it holds is VALIDATION', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'iron_ore', quantity: 10 }]);
    const stack = await stackOf(character.id, 'iron_ore');
    expect(await remove(stack.id, 11)).toMatchObject({ code: 'VALIDATION', field: 'quantity' });
    expect(await remove(stack.id, 0)).toMatchObject({ code: 'VALIDATION', field: 'quantity' });
    expect(await remove(stack.id, 4)).toMatchObject({ item: { id: stack.id, quantity: 6 } });
    expect(await remove(stack.id, 6)).toMatchObject({ __typename: 'InventoryItemPayload', item: null });
    expect(await stacksOf(character.id)).toEqual([]);
  });

  it("refuses another player's stack with FORBIDDEN and an unknown one with NOT_FOUND", async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'iron_ore', quantity: 3 }]);
    const stack = await stackOf(character.id, 'iron_ore');
    const stranger = await registerPlayer(app);
    expect(await remove(stack.id, 1, stranger.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await remove('00000000-0000-4000-8000-000000000000', 1)).toMatchObject({ code: 'NOT_FOUND' });
    expect((await stackOf(character.id, 'iron_ore')).quantity).toBe(3);
  });
});

describe('equipment', () => {
  it('equips an item only into a slot it fits; a taken slot is SLOT_OCCUPIED; unequip frees it', async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [
      { itemId: 'rusty_shortsword', quantity: 2 },
      { itemId: 'torch', quantity: 1 },
      { itemId: 'starfall_ring', quantity: 2 },
    ]);
    const stacks = await stacksOf(character.id);
    const [sword1, sword2] = stacks.filter((s) => s.itemId === 'rusty_shortsword');
    const torch = stacks.find((s) => s.itemId === 'torch')!;
    const rings = stacks.filter((s) => s.itemId === 'starfall_ring');

    expect(await equip(sword1!.id, 0)).toMatchObject({ code: 'VALIDATION', field: 'slot' }); // head
    expect(await equip(torch.id, 4)).toMatchObject({ code: 'VALIDATION', field: 'slot' }); // not equipment
    expect(await equip(sword1!.id, 99)).toMatchObject({ code: 'VALIDATION', field: 'slot' });
    expect(await equip(sword1!.id, 4)).toMatchObject({ item: { id: sword1!.id, slot: 4 } });
    expect(await equip(sword2!.id, 4)).toMatchObject({ __typename: 'ConflictError', code: 'SLOT_OCCUPIED' });
    expect(await equip(rings[0]!.id, 6)).toMatchObject({ item: { slot: 6 } });
    expect(await equip(rings[1]!.id, 7)).toMatchObject({ item: { slot: 7 } });

    const unequipped = await app.gql(UnequipItemDocument, { inventoryItemId: sword1!.id }, { token: owner.token });
    expect(unequipped.data!.unequipItem).toMatchObject({ item: { id: sword1!.id, slot: null } });
    expect(await equip(sword2!.id, 4)).toMatchObject({ item: { id: sword2!.id, slot: 4 } });
    const equipped = (await stacksOf(character.id)).filter((s) => s.slot !== null).map((s) => [s.id, s.slot]);
    expect(equipped.sort()).toEqual(
      [
        [sword2!.id, 4],
        [rings[0]!.id, 6],
        [rings[1]!.id, 7],
      ].sort(),
    );
  });

  it("refuses to equip another player's item with FORBIDDEN", async () => {
    const character = await createCharacterFor(app, owner);
    await add(character.id, [{ itemId: 'leather_cap', quantity: 1 }]);
    const cap = await stackOf(character.id, 'leather_cap');
    const stranger = await registerPlayer(app);
    expect(await equip(cap.id, 0, stranger.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect((await stackOf(character.id, 'leather_cap')).slot).toBeNull();
  });
});

describe('the inventory expansion data migration', () => {
  const file = readdirSync(new URL('../drizzle/', import.meta.url)).find((name) => name.endsWith('_inventory_expansion_levels'))!;
  const migration = readFileSync(new URL(`../drizzle/${file}/migration.sql`, import.meta.url), 'utf8');

  it('sets each expansion level from the stack count, never lowers one, and changes nothing when run again', async () => {
    const db = app.database.db;
    const [crowded, light, expanded] = [
      await createCharacterFor(app, owner),
      await createCharacterFor(app, owner),
      await createCharacterFor(app, owner),
    ];
    await db.update(characters).set({ inventoryMaxSlots: 100 }).where(eq(characters.id, crowded.id));
    await db.insert(characterInventory).values(Array.from({ length: 35 }, () => ({ characterId: crowded.id, itemId: 'leather_cap' })));
    await db.insert(characterInventory).values(Array.from({ length: 5 }, () => ({ characterId: light.id, itemId: 'torch' })));
    await db.update(characters).set({ inventoryExpansionLevel: 3, inventoryMaxSlots: 50 }).where(eq(characters.id, expanded.id));

    await db.execute(sql.raw(migration));
    const levels = async () =>
      Object.fromEntries((await db.select().from(characters)).map((c) => [c.id, [c.inventoryExpansionLevel, c.inventoryMaxSlots]]));
    const first = await levels();
    expect(first[crowded.id]).toEqual([2, 40]); // 35 stacks: 15 over the base 20, two levels of 10
    expect(first[light.id]).toEqual([0, 20]);
    expect(first[expanded.id]).toEqual([3, 50]);

    const again = (await db.execute(sql.raw(migration))) as unknown as { count: number };
    expect(again.count).toBe(0);
    expect(await levels()).toEqual(first);
  });
});
