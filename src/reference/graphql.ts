import { staleOnAllFields, staleWithParent } from '../invalidation.js';
import { AttributesRef } from '../characters/graphql.js';
import type { Context } from '../context.js';
import { builder } from '../graphql/builder.js';
import { storedEnum } from '../graphql/enums.js';
import type { KindName, KindRecords } from './kinds.js';
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
  type RaceRecord,
  type ThemeRecord,
  type TrapRecord,
} from './records.js';

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
  extensions: staleWithParent(),
  fields: (t) => ({
    itemId: t.exposeString('item_id'),
    chance: t.exposeFloat('chance', { description: 'Probability in (0, 1].' }),
    item: t.field({ type: ItemRef, nullable: true, resolve: (drop, _args, ctx) => loadOne(ctx, 'items', drop.item_id) }),
  }),
});

ElementRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    strengths: t.field({ type: [ElementRef], resolve: (e, _args, ctx) => loadMany(ctx, 'elements', e.strengths) }),
    weaknesses: t.field({ type: [ElementRef], resolve: (e, _args, ctx) => loadMany(ctx, 'elements', e.weaknesses) }),
  }),
});

ItemRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
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
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    abilities: t.exposeStringList('abilities', { description: 'The abilities a character gains when bonding it.' }),
    bonus: t.field({ type: AttributesRef, resolve: (essence) => essence.bonus }),
  }),
});

const EnemyStatsRef = builder.objectRef<EnemyRecord['stats']>('EnemyStats').implement({
  extensions: staleWithParent(),
  fields: (t) => ({
    health: t.exposeInt('health'),
    attack: t.exposeInt('attack'),
    defense: t.exposeInt('defense'),
    speed: t.exposeInt('speed'),
  }),
});

EnemyRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
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
  extensions: staleWithParent(),
  fields: (t) => ({
    name: t.exposeString('name'),
    healthThreshold: t.exposeFloat('health_threshold', { description: 'The phase starts below this share of health.' }),
    abilities: t.exposeStringList('abilities'),
  }),
});

BossRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
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
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    attributeModifiers: t.field({ type: AttributesRef, resolve: (race) => race.attribute_modifiers }),
  }),
});

ClassRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    attributeModifiers: t.field({ type: AttributesRef, resolve: (c) => c.attribute_modifiers }),
    startingItems: t.field({ type: [ItemRef], resolve: (c, _args, ctx) => loadMany(ctx, 'items', c.starting_items) }),
  }),
});

ThemeRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
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
  extensions: staleOnAllFields('referenceDataApplied'),
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
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    element: t.field({ type: ElementRef, nullable: true, resolve: (h, _args, ctx) => loadOne(ctx, 'elements', h.element) }),
    damagePerTurn: t.exposeInt('damage_per_turn'),
  }),
});

const CriteriaRef = builder.objectRef<AchievementRecord['criteria']>('AchievementCriteria').implement({
  extensions: staleWithParent(),
  fields: (t) => ({
    type: t.exposeString('type'),
    target: t.exposeInt('target'),
    subject: t.exposeString('subject', { nullable: true, description: 'The enemy or boss id it counts, if any.' }),
  }),
});

AchievementRef.implement({
  extensions: staleOnAllFields('referenceDataApplied'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    points: t.exposeInt('points'),
    criteria: t.field({ type: CriteriaRef, resolve: (a) => a.criteria }),
  }),
});

// A list query and a by-id query for every kind.
const everyRecord =
  <K extends KindName>(kind: K) =>
  (_root: unknown, _args: unknown, ctx: Context) =>
    ctx.reference.all(kind);
const recordById =
  <K extends KindName>(kind: K) =>
  (_root: unknown, { id }: { id: string | number }, ctx: Context) =>
    ctx.loaders.reference(kind).load(String(id));

builder.queryFields((t) => ({
  elements: t.field({ type: [ElementRef], description: 'Every elements record, by id.', resolve: everyRecord('elements') }),
  element: t.field({ type: ElementRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('elements') }),
  items: t.field({ type: [ItemRef], description: 'Every items record, by id.', resolve: everyRecord('items') }),
  item: t.field({ type: ItemRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('items') }),
  essenceTypes: t.field({ type: [EssenceTypeRef], description: 'Every essences record, by id.', resolve: everyRecord('essences') }),
  essenceType: t.field({ type: EssenceTypeRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('essences') }),
  enemies: t.field({ type: [EnemyRef], description: 'Every enemies record, by id.', resolve: everyRecord('enemies') }),
  enemy: t.field({ type: EnemyRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('enemies') }),
  bosses: t.field({ type: [BossRef], description: 'Every bosses record, by id.', resolve: everyRecord('bosses') }),
  boss: t.field({ type: BossRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('bosses') }),
  races: t.field({ type: [RaceRef], description: 'Every races record, by id.', resolve: everyRecord('races') }),
  race: t.field({ type: RaceRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('races') }),
  classes: t.field({ type: [ClassRef], description: 'Every classes record, by id.', resolve: everyRecord('classes') }),
  characterClass: t.field({ type: ClassRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('classes') }),
  themes: t.field({ type: [ThemeRef], description: 'Every themes record, by id.', resolve: everyRecord('themes') }),
  theme: t.field({ type: ThemeRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('themes') }),
  traps: t.field({ type: [TrapRef], description: 'Every traps record, by id.', resolve: everyRecord('traps') }),
  trap: t.field({ type: TrapRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('traps') }),
  hazards: t.field({ type: [HazardRef], description: 'Every hazards record, by id.', resolve: everyRecord('hazards') }),
  hazard: t.field({ type: HazardRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('hazards') }),
  achievements: t.field({ type: [AchievementRef], description: 'Every achievements record, by id.', resolve: everyRecord('achievements') }),
  achievement: t.field({ type: AchievementRef, nullable: true, args: { id: t.arg.id() }, resolve: recordById('achievements') }),
}));

builder.queryField('gameDataVersion', (t) =>
  t.string({
    description: 'Changes whenever the reference data changes; clients refetch it then.',
    resolve: (_root, _args, ctx) => ctx.reference.gameDataVersion(),
  }),
);
