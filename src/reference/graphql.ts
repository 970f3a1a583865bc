import { AttributesRef } from '../characters/graphql.js';
import type { Context } from '../context.js';
import { builder } from '../graphql/builder.js';
import { storedEnum } from '../graphql/enums.js';
import {
  EQUIPMENT_SLOTS,
  ITEM_TYPES,
  RARITIES,
  type AchievementRecord,
  type BossRecord,
  type ClassRecord,
  type ElementRecord,
  type EnemyRecord,
  type EssenceRecord,
  type HazardRecord,
  type ItemRecord,
  type KindName,
  type KindRecords,
  type RaceRecord,
  type ThemeRecord,
  type TrapRecord,
} from './kinds.js';

const ItemTypeEnum = storedEnum('ItemType', ITEM_TYPES);
const RarityEnum = storedEnum('Rarity', RARITIES);
const EquipmentSlotEnum = storedEnum('EquipmentSlot', EQUIPMENT_SLOTS);

/** Loads referenced records of one kind through the request's DataLoader; unknown ids drop out. */
async function loadMany<K extends KindName>(ctx: Context, kind: K, ids: readonly string[]): Promise<Array<KindRecords[K]>> {
  const records = await ctx.loaders.reference(kind).loadMany(ids);
  return records.filter((record): record is KindRecords[K] => record !== null && !(record instanceof Error));
}
const loadOne = <K extends KindName>(ctx: Context, kind: K, id: string | null) =>
  id === null ? null : ctx.loaders.reference(kind).load(id);

export const ElementRef = builder.objectRef<ElementRecord>('Element');
export const ItemRef = builder.objectRef<ItemRecord>('Item');
export const EssenceTypeRef = builder.objectRef<EssenceRecord>('EssenceType');
const EnemyRef = builder.objectRef<EnemyRecord>('Enemy');
const BossRef = builder.objectRef<BossRecord>('Boss');
const RaceRef = builder.objectRef<RaceRecord>('Race');
const ClassRef = builder.objectRef<ClassRecord>('CharacterClass');
const ThemeRef = builder.objectRef<ThemeRecord>('Theme');
const TrapRef = builder.objectRef<TrapRecord>('Trap');
const HazardRef = builder.objectRef<HazardRecord>('Hazard');
export const AchievementRef = builder.objectRef<AchievementRecord>('Achievement');

type LootDrop = { item_id: string; chance: number };
const LootDropRef = builder.objectRef<LootDrop>('LootDrop').implement({
  fields: (t) => ({
    itemId: t.exposeString('item_id'),
    chance: t.exposeFloat('chance', { description: 'Probability in (0, 1].' }),
    item: t.field({ type: ItemRef, nullable: true, resolve: (drop, _args, ctx) => loadOne(ctx, 'items', drop.item_id) }),
  }),
});

ElementRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    strengths: t.field({ type: [ElementRef], resolve: (e, _args, ctx) => loadMany(ctx, 'elements', e.strengths) }),
    weaknesses: t.field({ type: [ElementRef], resolve: (e, _args, ctx) => loadMany(ctx, 'elements', e.weaknesses) }),
  }),
});

ItemRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    type: t.field({ type: ItemTypeEnum, resolve: (item) => item.type }),
    rarity: t.field({ type: RarityEnum, resolve: (item) => item.rarity }),
    stackable: t.exposeBoolean('stackable'),
    maxStack: t.exposeInt('max_stack'),
    equipmentSlot: t.field({ type: EquipmentSlotEnum, nullable: true, resolve: (item) => item.equipment_slot }),
    value: t.exposeInt('value', { description: 'Worth in gold.' }),
  }),
});

EssenceTypeRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    abilities: t.exposeStringList('abilities', { description: 'The abilities a character gains when bonding it.' }),
    bonus: t.field({ type: AttributesRef, resolve: (essence) => essence.bonus }),
  }),
});

const EnemyStatsRef = builder.objectRef<EnemyRecord['stats']>('EnemyStats').implement({
  fields: (t) => ({
    health: t.exposeInt('health'),
    attack: t.exposeInt('attack'),
    defense: t.exposeInt('defense'),
    speed: t.exposeInt('speed'),
  }),
});

EnemyRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    level: t.exposeInt('level'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (e, _args, ctx) => loadOne(ctx, 'elements', e.element) }),
    floorMin: t.exposeInt('floor_min'),
    floorMax: t.exposeInt('floor_max'),
    stats: t.field({ type: EnemyStatsRef, resolve: (e) => e.stats }),
    loot: t.field({ type: [LootDropRef], resolve: (e) => e.loot }),
    essenceDrop: t.field({ type: EssenceTypeRef, nullable: true, resolve: (e, _args, ctx) => loadOne(ctx, 'essences', e.essence_drop) }),
  }),
});

const BossPhaseRef = builder.objectRef<BossRecord['phases'][number]>('BossPhase').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    healthThreshold: t.exposeFloat('health_threshold', { description: 'The phase starts below this share of health.' }),
    abilities: t.exposeStringList('abilities'),
  }),
});

BossRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (b, _args, ctx) => loadOne(ctx, 'elements', b.element) }),
    floor: t.exposeInt('floor'),
    level: t.exposeInt('level'),
    health: t.exposeInt('health'),
    phases: t.field({ type: [BossPhaseRef], resolve: (b) => b.phases }),
    lootTable: t.field({ type: [LootDropRef], resolve: (b) => b.loot_table }),
    essenceDrop: t.field({ type: EssenceTypeRef, nullable: true, resolve: (b, _args, ctx) => loadOne(ctx, 'essences', b.essence_drop) }),
  }),
});

RaceRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    attributeModifiers: t.field({ type: AttributesRef, resolve: (race) => race.attribute_modifiers }),
  }),
});

ClassRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    attributeModifiers: t.field({ type: AttributesRef, resolve: (c) => c.attribute_modifiers }),
    startingItems: t.field({ type: [ItemRef], resolve: (c, _args, ctx) => loadMany(ctx, 'items', c.starting_items) }),
  }),
});

ThemeRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    floorMin: t.exposeInt('floor_min'),
    floorMax: t.exposeInt('floor_max'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (th, _args, ctx) => loadOne(ctx, 'elements', th.element) }),
    enemies: t.field({ type: [EnemyRef], resolve: (th, _args, ctx) => loadMany(ctx, 'enemies', th.enemies) }),
    hazards: t.field({ type: [HazardRef], resolve: (th, _args, ctx) => loadMany(ctx, 'hazards', th.hazards) }),
  }),
});

TrapRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (tr, _args, ctx) => loadOne(ctx, 'elements', tr.element) }),
    damage: t.exposeInt('damage'),
    detectionDifficulty: t.exposeInt('detection_difficulty', { description: '1 (obvious) to 20 (near invisible).' }),
  }),
});

HazardRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (h, _args, ctx) => loadOne(ctx, 'elements', h.element) }),
    damagePerTurn: t.exposeInt('damage_per_turn'),
  }),
});

const CriteriaRef = builder.objectRef<AchievementRecord['criteria']>('AchievementCriteria').implement({
  fields: (t) => ({
    type: t.exposeString('type'),
    target: t.exposeInt('target'),
    subject: t.exposeString('subject', { nullable: true, description: 'The enemy or boss id it counts, if any.' }),
  }),
});

AchievementRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    points: t.exposeInt('points'),
    criteria: t.field({ type: CriteriaRef, resolve: (a) => a.criteria }),
  }),
});

// A list query and a by-id query for every kind.
const REFERENCE_QUERIES = [
  ['elements', ElementRef, 'elements', 'element'],
  ['items', ItemRef, 'items', 'item'],
  ['essences', EssenceTypeRef, 'essenceTypes', 'essenceType'],
  ['enemies', EnemyRef, 'enemies', 'enemy'],
  ['bosses', BossRef, 'bosses', 'boss'],
  ['races', RaceRef, 'races', 'race'],
  ['classes', ClassRef, 'classes', 'characterClass'],
  ['themes', ThemeRef, 'themes', 'theme'],
  ['traps', TrapRef, 'traps', 'trap'],
  ['hazards', HazardRef, 'hazards', 'hazard'],
  ['achievements', AchievementRef, 'achievements', 'achievement'],
] as const;

for (const [kind, ref, listName, byIdName] of REFERENCE_QUERIES) {
  builder.queryFields((t) => ({
    [listName]: t.field({
      type: [ref] as never,
      description: `Every ${kind} record, by id.`,
      resolve: (_root, _args, ctx) => ctx.reference.all(kind) as never,
    }),
    [byIdName]: t.field({
      type: ref as never,
      nullable: true,
      args: { id: t.arg.id() },
      resolve: (_root, { id }, ctx) => ctx.loaders.reference(kind).load(String(id)) as never,
    }),
  }));
}

builder.queryField('gameDataVersion', (t) =>
  t.string({
    description: 'Changes whenever the reference data changes; clients refetch it then.',
    resolve: (_root, _args, ctx) => ctx.reference.gameDataVersion(),
  }),
);
