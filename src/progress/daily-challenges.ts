import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { ValidationError } from '../errors.js';
import type { ReferenceData } from '../reference/cache.js';
import { dailyChallenges } from './tables.js';

export type DailyChallenge = typeof dailyChallenges.$inferSelect;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const FIRST_DAY = '2020-01-01';
const DAY_MS = 24 * 60 * 60 * 1000;

export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** A UTC date `YYYY-MM-DD` from 2020-01-01 to tomorrow; anything else is VALIDATION naming `field`. */
export function parseDay(value: string, field = 'date', now = new Date()): string {
  const match = DAY.exec(value);
  const parsed = match ? new Date(`${value}T00:00:00.000Z`) : null;
  if (!parsed || Number.isNaN(parsed.getTime()) || utcDay(parsed) !== value) {
    throw new ValidationError(`${field}: must be a date as YYYY-MM-DD`, field);
  }
  const tomorrow = utcDay(new Date(now.getTime() + DAY_MS));
  if (value < FIRST_DAY || value > tomorrow) throw new ValidationError(`${field}: must be from ${FIRST_DAY} to ${tomorrow}`, field);
  return value;
}

/** A small seeded generator (mulberry32), so the same date always picks the same things. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The challenge of a date, computed from the date and the reference data alone. */
export async function designChallenge(reference: ReferenceData, date: string): Promise<Omit<DailyChallenge, 'id' | 'createdAt'>> {
  const seed = createHash('sha256').update(date).digest().readUInt32BE(0) >>> 1;
  const [themes, traps, hazards, elements] = await Promise.all([
    reference.all('themes'),
    reference.all('traps'),
    reference.all('hazards'),
    reference.all('elements'),
  ]);
  const random = seeded(seed);
  const byId = (records: Array<{ id: string }>) => records.map((r) => r.id).sort();
  const themeIds = byId(themes);
  const themeId = themeIds.length > 0 ? themeIds[Math.floor(random() * themeIds.length)]! : null;
  const pool = [
    ...byId(traps).map((id) => `trap:${id}`),
    ...byId(hazards).map((id) => `hazard:${id}`),
    ...byId(elements).map((id) => `element:${id}`),
  ];
  const modifiers: string[] = [];
  const count = Math.min(pool.length, 1 + Math.floor(random() * 3));
  while (modifiers.length < count) {
    const [picked] = pool.splice(Math.floor(random() * pool.length), 1);
    modifiers.push(picked!);
  }
  return { date, seed, themeId, modifiers };
}

/**
 * The challenge of a UTC date, created on its first request. Every instance designs the
 * same challenge from the date, and the unique date makes the first insert win: the
 * others insert nothing and read the winner's row.
 */
export async function dailyChallenge(db: Executor, reference: ReferenceData, date: string): Promise<DailyChallenge> {
  const [existing] = await db.select().from(dailyChallenges).where(eq(dailyChallenges.date, date));
  if (existing) return existing;
  const [created] = await db
    .insert(dailyChallenges)
    .values(await designChallenge(reference, date))
    .onConflictDoNothing({ target: dailyChallenges.date })
    .returning();
  if (created) return created;
  const [winner] = await db.select().from(dailyChallenges).where(eq(dailyChallenges.date, date));
  return winner!;
}
