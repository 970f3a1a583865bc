import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { eq, inArray, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database, Executor } from '../db/client.js';
import { KIND_NAMES, KINDS, type KindName } from './kinds.js';
import { seedVersions } from './tables.js';
import type { SeedSet } from './validate.js';

export interface KindCounts {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
}
export type SeedReport = Record<KindName, KindCounts>;

type ReferenceTable = PgTable & { id: PgColumn; data: PgColumn };
type Row = { id: string; name: string; data: Record<string, unknown> } & Record<string, unknown>;

export function checksumOf(records: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('hex');
}

/**
 * Brings the reference tables in line with the seed files in one transaction: inserts
 * new records, updates changed ones, deletes removed ones, and records each file's
 * version. Unchanged records are not written, so a second run issues no writes at all.
 */
export async function applySeeds(db: Database, seeds: SeedSet): Promise<SeedReport> {
  return db.transaction(async (tx) => {
    // Two seeders at once would race on the same rows; take turns.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('guildhall:seed'))`);
    const report = {} as SeedReport;
    for (const kind of KIND_NAMES) report[kind] = await syncKind(tx, kind, seeds);
    await recordVersions(tx, seeds);
    return report;
  });
}

async function syncKind(tx: Executor, kind: KindName, seeds: SeedSet): Promise<KindCounts> {
  const definition = KINDS[kind] as { table: ReferenceTable; columns(record: unknown): Record<string, unknown> };
  const table = definition.table;
  const wanted: Row[] = (seeds[kind].data as Array<{ id: string; name: string }>).map((record) => ({
    id: record.id,
    name: record.name,
    ...definition.columns(record),
    data: record as unknown as Record<string, unknown>,
  }));
  const existing = new Map((await tx.select({ id: table.id, data: table.data }).from(table)).map((row) => [row.id as string, row.data]));

  const inserts = wanted.filter((row) => !existing.has(row.id));
  const updates = wanted.filter((row) => existing.has(row.id) && !isDeepStrictEqual(existing.get(row.id), row.data));
  const wantedIds = new Set(wanted.map((row) => row.id));
  const deletes = [...existing.keys()].filter((id) => !wantedIds.has(id));

  if (inserts.length > 0) await tx.insert(table).values(inserts);
  for (const row of updates) await tx.update(table).set(row).where(eq(table.id, row.id));
  if (deletes.length > 0) await tx.delete(table).where(inArray(table.id, deletes));

  return {
    inserted: inserts.length,
    updated: updates.length,
    deleted: deletes.length,
    unchanged: wanted.length - inserts.length - updates.length,
  };
}

async function recordVersions(tx: Executor, seeds: SeedSet): Promise<void> {
  const stored = new Map((await tx.select().from(seedVersions)).map((row) => [row.kind, row]));
  for (const kind of KIND_NAMES) {
    const { version, updated_at: updatedAt, data } = seeds[kind];
    const checksum = checksumOf(data);
    const current = stored.get(kind);
    if (current && current.version === version && current.updatedAt === updatedAt && current.checksum === checksum) continue;
    await tx
      .insert(seedVersions)
      .values({ kind, version, updatedAt, checksum })
      .onConflictDoUpdate({ target: seedVersions.kind, set: { version, updatedAt, checksum, loadedAt: new Date() } });
  }
}

/**
 * The version of the game data as a whole: a short digest of every file's version and
 * checksum. It changes exactly when the loaded data changes, and it can be recomputed
 * from PostgreSQL whenever Redis has lost it.
 */
export async function readGameDataVersion(db: Executor): Promise<string> {
  const rows = await db.select().from(seedVersions).orderBy(seedVersions.kind);
  if (rows.length === 0) return 'unseeded';
  const digest = createHash('sha256');
  for (const row of rows) digest.update(`${row.kind}@${row.version}#${row.checksum}\n`);
  return digest.digest('hex').slice(0, 12);
}
