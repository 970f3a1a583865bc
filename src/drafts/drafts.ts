import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { characterName, createCharacter } from '../characters/characters.js';
import { ATTRIBUTES } from '../characters/tables.js';
import type { Attributes } from '../characters/vitals.js';
import type { Database } from '../db/client.js';
import { ConflictError, DraftIncompleteError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReferenceData } from '../reference/cache.js';
import { parseRecord } from '../redis/records.js';
import { requireRedis } from '../redis/require.js';
import { STRING_LIMITS } from '../limits.js';
import { isUuid, parseInput } from '../validation.js';

/**
 * Character drafts for the creation wizard, kept only in Redis:
 * `draft:{id}` (the draft as JSON) and `draft:player:{playerId}` (the id of the player's
 * one draft), both expiring `draftTtlSeconds` after the last read or update.
 */
export interface DraftDeps {
  db: Database;
  redis: Redis;
  log: Logger;
  reference: ReferenceData;
  draftTtlSeconds: number;
}

export const draftKey = (id: string) => `draft:${id}`;
export const draftIndexKey = (playerId: string) => `draft:player:${playerId}`;

/** Points to spread over the four attributes before race and class modifiers. */
export const ATTRIBUTE_BUDGET = 40;
const ATTRIBUTE_RANGE = { min: 5, max: 18 } as const;

const allocation = z
  .object(
    Object.fromEntries(ATTRIBUTES.map((a) => [a, z.int().min(ATTRIBUTE_RANGE.min).max(ATTRIBUTE_RANGE.max)])) as Record<
      (typeof ATTRIBUTES)[number],
      z.ZodInt
    >,
  )
  .refine(
    (a) => ATTRIBUTES.reduce((sum, key) => sum + a[key], 0) <= ATTRIBUTE_BUDGET,
    `must spend at most ${ATTRIBUTE_BUDGET} points in all`,
  );

const storedDraft = z.object({
  id: z.string(),
  playerId: z.string(),
  name: z.string().nullable(),
  race: z.string().nullable(),
  class: z.string().nullable(),
  attributes: allocation.nullable(),
  step: z.int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type StoredDraft = z.infer<typeof storedDraft>;
export type Draft = StoredDraft & { expiresAt: Date };

const referenceId = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(STRING_LIMITS.referenceId, `must be at most ${STRING_LIMITS.referenceId} characters`);

// undefined leaves a part as it is; null clears it.
const draftInput = z.object({
  name: characterName.nullish(),
  race: referenceId.nullish(),
  class: referenceId.nullish(),
  attributes: allocation.nullish(),
  step: z.int().min(0, 'must not be negative').max(20, 'must be at most 20').nullish(),
});
export type DraftInput = z.input<typeof draftInput>;

// Creating a draft replaces the player's previous one in one atomic step, if the index
// still names the draft read before (KEYS[3], or none): else the caller reads again.
// KEYS: index, new draft, previous draft. ARGV: JSON, TTL, new id, previous id ('' for none).
const REPLACE = `
local previous = redis.call('GET', KEYS[1]) or ''
if previous ~= ARGV[4] then return 0 end
if previous ~= '' then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[2])
return 1`;

// The viewer's draft via the index, renewing both keys, if the index still names it; an
// index left pointing at an expired draft is removed.
// KEYS: index, draft. ARGV: TTL, draft id.
const READ_MINE = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return false end
local value = redis.call('GET', KEYS[2])
if not value then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return value`;

// Renews a draft, and the index too when it still points at this draft.
const RENEW = `
if redis.call('EXPIRE', KEYS[1], ARGV[2]) == 0 then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1`;

// Writes an updated draft only if nobody changed it since it was read.
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 1`;

const DELETE = `
local deleted = redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return deleted`;

function withExpiry(draft: StoredDraft, ttlSeconds: number): Draft {
  return { ...draft, expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
}

async function checkReferences(deps: DraftDeps, input: { race?: string | null; class?: string | null }): Promise<void> {
  const [race] = input.race ? await deps.reference.byIds('races', [input.race]) : [true];
  if (!race) throw new ValidationError(`race: there is no race "${input.race}"`, 'race');
  const [characterClass] = input.class ? await deps.reference.byIds('classes', [input.class]) : [true];
  if (!characterClass) throw new ValidationError(`class: there is no class "${input.class}"`, 'class');
}

export async function createDraft(deps: DraftDeps, playerId: string, input: DraftInput): Promise<Draft> {
  const parts = parseInput(draftInput, input);
  await checkReferences(deps, parts);
  const now = new Date().toISOString();
  const draft: StoredDraft = {
    id: randomUUID(),
    playerId,
    name: parts.name ?? null,
    race: parts.race ?? null,
    class: parts.class ?? null,
    attributes: parts.attributes ?? null,
    step: parts.step ?? 0,
    createdAt: now,
    updatedAt: now,
  };
  const ttl = deps.draftTtlSeconds;
  // Optimistic: the previous draft's key must be named in KEYS, so read it first and retry if it moved.
  for (let attempt = 0; attempt < 50; attempt++) {
    const previous = (await requireRedis(() => deps.redis.get(draftIndexKey(playerId)))) ?? '';
    const replaced = await requireRedis(() =>
      deps.redis.eval(
        REPLACE,
        3,
        draftIndexKey(playerId),
        draftKey(draft.id),
        draftKey(previous),
        JSON.stringify(draft),
        ttl,
        draft.id,
        previous,
      ),
    );
    if (replaced === 1) return withExpiry(draft, ttl);
  }
  throw new ConflictError('CONFLICT', 'Drafts are being created elsewhere at the same time; try again.');
}

/** Reads an owned draft (renewing it); DRAFT_NOT_FOUND or FORBIDDEN otherwise. */
async function readOwned(deps: DraftDeps, playerId: string, id: string): Promise<{ draft: StoredDraft; raw: string }> {
  if (!isUuid(id)) throw new NotFoundError('DRAFT_NOT_FOUND', 'No draft has that id.');
  const raw = await requireRedis(() => deps.redis.get(draftKey(id)));
  const draft = parseRecord(deps.log, storedDraft, draftKey(id), raw, 'character draft');
  if (!draft || raw === null) throw new NotFoundError('DRAFT_NOT_FOUND', 'No draft has that id (drafts expire after a day untouched).');
  if (draft.playerId !== playerId) throw new ForbiddenError('That draft belongs to another player.');
  return { draft, raw };
}

export async function getDraft(deps: DraftDeps, playerId: string, id: string): Promise<Draft | null> {
  try {
    const { draft } = await readOwned(deps, playerId, id);
    await requireRedis(() => deps.redis.eval(RENEW, 2, draftKey(id), draftIndexKey(playerId), id, deps.draftTtlSeconds));
    return withExpiry(draft, deps.draftTtlSeconds);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

export async function getMyDraft(deps: DraftDeps, playerId: string): Promise<Draft | null> {
  const id = await requireRedis(() => deps.redis.get(draftIndexKey(playerId)));
  if (!id) return null;
  const raw = (await requireRedis(() => deps.redis.eval(READ_MINE, 2, draftIndexKey(playerId), draftKey(id), deps.draftTtlSeconds, id))) as
    | string
    | null;
  const draft = parseRecord(deps.log, storedDraft, draftIndexKey(playerId), raw, 'character draft');
  return draft ? withExpiry(draft, deps.draftTtlSeconds) : null;
}

export async function updateDraft(deps: DraftDeps, playerId: string, id: string, input: DraftInput): Promise<Draft> {
  const parts = parseInput(draftInput, input);
  await checkReferences(deps, parts);
  // Optimistic: re-read and retry if a concurrent update landed in between.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { draft, raw } = await readOwned(deps, playerId, id);
    const changes = Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== undefined));
    const next: StoredDraft = { ...draft, ...changes, step: parts.step ?? draft.step, updatedAt: new Date().toISOString() };
    const written = await requireRedis(() =>
      deps.redis.eval(COMPARE_AND_SET, 2, draftKey(id), draftIndexKey(playerId), raw, JSON.stringify(next), deps.draftTtlSeconds, id),
    );
    if (written === 1) return withExpiry(next, deps.draftTtlSeconds);
  }
  throw new ConflictError('CONFLICT', 'The draft is being changed elsewhere; try again.');
}

export async function deleteDraft(deps: DraftDeps, playerId: string, id: string): Promise<string> {
  await readOwned(deps, playerId, id);
  await requireRedis(() => deps.redis.eval(DELETE, 2, draftKey(id), draftIndexKey(playerId), id));
  return id;
}

/**
 * Turns a complete draft into a character (one PostgreSQL transaction), then deletes
 * the draft. Any refusal (DRAFT_INCOMPLETE, VALIDATION, NAME_TAKEN) leaves the draft as it was.
 */
export async function finalizeDraft(deps: DraftDeps, playerId: string, id: string): Promise<{ characterId: string }> {
  const { draft } = await readOwned(deps, playerId, id);
  const missing = (['name', 'race', 'class', 'attributes'] as const).filter((part) => draft[part] === null);
  if (missing.length > 0) throw new DraftIncompleteError([...missing]);
  const {
    name,
    race,
    class: classId,
    attributes,
  } = draft as StoredDraft & { name: string; race: string; class: string; attributes: Attributes };

  const spent = ATTRIBUTES.reduce((sum, key) => sum + attributes[key], 0);
  if (spent !== ATTRIBUTE_BUDGET) {
    throw new ValidationError(`attributes: spend exactly ${ATTRIBUTE_BUDGET} points (${spent} spent)`, 'attributes');
  }
  const [raceRecord] = await deps.reference.byIds('races', [race]);
  const [classRecord] = await deps.reference.byIds('classes', [classId]);
  if (!raceRecord) throw new ValidationError(`race: there is no race "${race}"`, 'race');
  if (!classRecord) throw new ValidationError(`class: there is no class "${classId}"`, 'class');
  const final = Object.fromEntries(
    ATTRIBUTES.map((key) => [key, attributes[key] + raceRecord.attribute_modifiers[key] + classRecord.attribute_modifiers[key]]),
  ) as Attributes;

  const character = await createCharacter(deps.db, playerId, { name }, { attributes: final, raceId: race, classId });
  await requireRedis(() => deps.redis.eval(DELETE, 2, draftKey(id), draftIndexKey(playerId), id)).catch((error: unknown) => {
    // The character exists; a draft left behind expires on its own.
    deps.log.warn({ err: { message: (error as Error).message }, draftId: id }, 'finalized draft could not be deleted');
  });
  return { characterId: character.id };
}
