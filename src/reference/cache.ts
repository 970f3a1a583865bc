import { asc, inArray } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { GAME_VERSION_KEY, REFERENCE_TTL_SECONDS, referenceKey } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import type { Executor } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { KINDS, type KindName, type KindRecords } from './kinds.js';
import { readGameDataVersion } from './load.js';

// A hash cannot be empty, so a marker field tells "loaded, no records" from "not loaded".
const LOADED = '__loaded';

// Fill the hash only if game:version is still what it was before PostgreSQL was read.
// A seed run that commits in between changes the version first, so an old read can
// never be written back over its invalidation.
const FILL_IF_CURRENT = `
local current = redis.call('GET', KEYS[2]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

type ReferenceTable = PgTable & { id: PgColumn; data: PgColumn };

/** At most this many parsed record texts are kept (then all are dropped and parsed again). */
const PARSED_TEXTS_KEPT = 4096;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
type AnyRecord = { id: string };

/**
 * Read-through cache of reference data: Redis hashes `game:<kind>` (24 h), filled from
 * PostgreSQL on a miss. If Redis fails, reads go to PostgreSQL and nothing fails: Redis is
 * reached through ReadCache.attempt, so one outage flag covers every cache tier.
 */
export class ReferenceData {
  /** Parsed records by their cached text (any kind: a record's text includes its id). */
  private readonly parsed = new Map<string, object>();

  constructor(
    private readonly db: Executor,
    private readonly cache: ReadCache,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async all<K extends KindName>(kind: K): Promise<Array<KindRecords[K]>> {
    const cached = await this.cache.attempt((redis) => redis.pipeline().hgetall(referenceKey(kind)).get(GAME_VERSION_KEY).exec());
    const hash = cached?.[0]?.[1] as Record<string, string> | undefined;
    if (hash?.[LOADED]) {
      const records = this.parseAll<K>(kind, hash);
      if (records) {
        this.metrics.cacheHits.inc({ tier: 'reference' });
        return records;
      }
    }
    this.metrics.cacheMisses.inc({ tier: 'reference' });
    const version = cached ? ((cached[1]?.[1] as string | null) ?? '') : null;
    return this.loadAndFill(kind, version);
  }

  /**
   * `all(kind)`, with the game-data version the cached records belong to: both are read in
   * one MULTI, so a seed run cannot come between them. The version is null when none is
   * known to match the records: they came from PostgreSQL (a miss, or Redis down), or
   * `game:version` had expired (it is then published again, for the next read).
   */
  async allWithVersion<K extends KindName>(kind: K): Promise<{ records: Array<KindRecords[K]>; version: string | null }> {
    const cached = await this.cache.attempt((redis) => redis.multi().get(GAME_VERSION_KEY).hgetall(referenceKey(kind)).exec());
    const version = cached?.[0]?.[1] as string | null | undefined;
    const hash = cached?.[1]?.[1] as Record<string, string> | undefined;
    const records = hash?.[LOADED] ? this.parseAll<K>(kind, hash) : null;
    if (records && version) {
      this.metrics.cacheHits.inc({ tier: 'reference' });
      return { records, version };
    }
    if (cached && !version) await this.gameDataVersion();
    return { records: await this.all(kind), version: null };
  }

  /** Records by id, in the order asked; null for an id that does not exist. */
  async byIds<K extends KindName>(kind: K, ids: readonly string[]): Promise<Array<KindRecords[K] | null>> {
    const key = referenceKey(kind);
    const cached = await this.cache.attempt((redis) =>
      redis
        .pipeline()
        .hexists(key, LOADED)
        .hmget(key, ...ids)
        .exec(),
    );
    if (cached?.[0]?.[1] === 1) {
      const values = cached[1]?.[1] as Array<string | null>;
      const parsed = values.map((value) => (value === null ? null : this.parse<K>(kind, value)));
      if (parsed.every((record, i) => record !== undefined || values[i] === null)) {
        this.metrics.cacheHits.inc({ tier: 'reference' });
        return parsed.map((record) => record ?? null);
      }
    }
    if (!cached) {
      this.metrics.cacheMisses.inc({ tier: 'reference' });
      return this.fromPostgres(kind, ids);
    }
    const byId = new Map((await this.all(kind)).map((record) => [(record as AnyRecord).id, record]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async gameDataVersion(): Promise<string> {
    const cached = await this.cache.attempt((redis) => redis.get(GAME_VERSION_KEY));
    if (cached) return cached;
    const version = await readGameDataVersion(this.db);
    // NX: a seed run that set a newer version meanwhile wins.
    await this.cache.attempt((redis) => redis.set(GAME_VERSION_KEY, version, 'EX', REFERENCE_TTL_SECONDS, 'NX'));
    return version;
  }

  private async loadAndFill<K extends KindName>(kind: K, version: string | null): Promise<Array<KindRecords[K]>> {
    const table = KINDS[kind].table as ReferenceTable;
    const rows = await this.db.select({ id: table.id, data: table.data }).from(table).orderBy(asc(table.id));
    if (version !== null) {
      const fields = rows.flatMap((row) => [row.id as string, JSON.stringify(row.data)]);
      await this.cache.attempt((redis) =>
        redis.eval(FILL_IF_CURRENT, 2, referenceKey(kind), GAME_VERSION_KEY, version, REFERENCE_TTL_SECONDS, LOADED, '1', ...fields),
      );
    }
    return rows.map((row) => row.data as KindRecords[K]);
  }

  private async fromPostgres<K extends KindName>(kind: K, ids: readonly string[]): Promise<Array<KindRecords[K] | null>> {
    const table = KINDS[kind].table as ReferenceTable;
    const rows =
      ids.length === 0
        ? []
        : await this.db
            .select({ id: table.id, data: table.data })
            .from(table)
            .where(inArray(table.id, [...ids]));
    const byId = new Map(rows.map((row) => [row.id as string, row.data as KindRecords[K]]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private parseAll<K extends KindName>(kind: K, hash: Record<string, string>): Array<KindRecords[K]> | null {
    const records: Array<KindRecords[K]> = [];
    for (const [field, value] of Object.entries(hash)) {
      if (field === LOADED) continue;
      const record = this.parse<K>(kind, value);
      if (!record) return null;
      records.push(record);
    }
    return records.sort((a, b) => ((a as AnyRecord).id < (b as AnyRecord).id ? -1 : 1));
  }

  /**
   * A cached value that is not a record is treated as a miss (and logged), never served.
   * Records are parsed once per distinct text and shared, frozen, by every later read of
   * that text: most requests read the same few definitions (a drink reads every achievement).
   */
  private parse<K extends KindName>(kind: K, value: string): KindRecords[K] | undefined {
    const known = this.parsed.get(value);
    if (known) return known as KindRecords[K];
    try {
      const record = JSON.parse(value);
      if (record && typeof record.id === 'string') {
        if (this.parsed.size >= PARSED_TEXTS_KEPT) this.parsed.clear();
        this.parsed.set(value, deepFreeze(record));
        return record;
      }
    } catch {
      // fall through
    }
    this.log.warn({ key: referenceKey(kind) }, 'unreadable reference record in Redis; reading PostgreSQL');
    return undefined;
  }
}
