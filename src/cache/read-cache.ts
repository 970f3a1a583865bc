import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { runScript, script } from '../redis/scripts.js';
import { CACHE_EPOCH_KEY, GAME_VERSION_KEY, MAX_SHAPES_PER_KEY, RESPONSE_FIELD_PREFIX, versionKey } from './keys.js';

// Fill only if neither the epoch nor the key's version moved since PostgreSQL was read:
// a write that committed in between (or an outage) makes this read's result old. A hash
// already holding ARGV[6] other shapes takes no new one, so odd documents cannot grow it.
// The hash's lifetime starts at its first fill and is not renewed by later ones, so no
// entry outlives the tier's TTL (live state overlays rely on that bound).
const FILL_IF_UNCHANGED = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[2] then return 0 end
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 and redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[6]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
if redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
return 1`;

// KEYS: key1, ver1, key2, ver2 … Drops the whole-response fields of each hash (its
// planned rows stay) and bumps its version, so a response fill racing this is refused.
const DROP_RESPONSES = `
for i = 1, #KEYS, 2 do
  for _, field in ipairs(redis.call('HKEYS', KEYS[i])) do
    if string.sub(field, 1, #ARGV[1]) == ARGV[1] then redis.call('HDEL', KEYS[i], field) end
  end
  redis.call('INCR', KEYS[i + 1])
  redis.call('EXPIRE', KEYS[i + 1], 3600)
end
return 0`;

// KEYS: key1, ver1, key2, ver2 … Drops each key and bumps its version (kept an hour), so a
// fill racing this is refused: one command where a MULTI of three per key was 3n + 2.
const DROP_KEYS = script(`
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('EXPIRE', KEYS[i + 1], 3600)
end
return 0`);

// The same, for many string keys: KEYS = epoch, key1, ver1, key2, ver2 …;
// ARGV = epoch, ttl, expected ver1, value1, expected ver2, value2 …
const FILL_MANY_IF_UNCHANGED = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
local filled = 0
for i = 2, #KEYS, 2 do
  local arg = i + 1
  if (redis.call('GET', KEYS[i + 1]) or '') == ARGV[arg] then
    redis.call('SET', KEYS[i], ARGV[arg + 1], 'EX', ARGV[2])
    filled = filled + 1
  end
end
return filled`;

// The epoch, the game version and one hash field, in one command (EVALSHA of a script
// ioredis loads once): the whole-response fast path's only round trip.
const STORED_ENTRY = `
return { redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '', redis.call('HGET', KEYS[3], ARGV[1]) }`;

type RedisWithScripts = Redis & {
  guildhallStoredEntryBuffer(epochKey: string, gameKey: string, key: string, field: string): Promise<Array<Buffer | null>>;
};

export interface FillGuard {
  key: string;
  field: string;
  epoch: string;
  version: string;
  game: string | undefined;
}

function parseEntry<T>(value: string | null): { e: string; g?: string; v: T } | null {
  if (!value) return null;
  try {
    return JSON.parse(value) as { e: string; g?: string; v: T };
  } catch {
    return null;
  }
}

/**
 * Cache-aside for planned reads (one drizzle query for a whole GraphQL selection):
 * a Redis hash per entity (`character:{id}`), one field per selection shape, expiring
 * with the entity's tier.
 *
 * Freshness rests on three rules. Writers delete the hash and bump `{key}:ver` after
 * commit. A fill is refused if that version, or the global `cache:epoch`, moved while
 * PostgreSQL was being read. And whenever this process loses Redis (a failed command or a
 * dropped connection) it stops using the cache and, once Redis is back, bumps the epoch
 * before using it again: an invalidation lost in the outage can then never be shadowed
 * by an entry written before it, on any instance, because entries carry their epoch.
 */
export class ReadCache {
  private degraded = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    if (!('guildhallStoredEntry' in redis)) redis.defineCommand('guildhallStoredEntry', { numberOfKeys: 3, lua: STORED_ENTRY });
    // 'reconnecting' follows an unexpected disconnect only (not a deliberate quit at shutdown).
    redis.on('reconnecting', () => this.markDegraded('connection lost'));
  }

  async read<T>(
    tier: string,
    key: string,
    selection: unknown,
    load: () => Promise<T | undefined>,
    ttlSeconds: number,
  ): Promise<T | undefined> {
    const field = fingerprint(selection);
    if (field === null) this.metrics.cacheMisses.inc({ tier });
    const found = field === null ? null : await this.lookup<T>(tier, key, field);
    if (found && 'value' in found) return found.value;
    const value = await load();
    if (found && value !== undefined) await this.fill(found.guard, value, ttlSeconds);
    return value;
  }

  /**
   * One round trip: the entry for `field` of hash `key`, if it is valid now, or else the
   * guard a later fill must pass. Null when the cache cannot be used (Redis is down).
   * With `gameVersion`, the entry must also have been made under the current
   * `game:version` (for entries that embed reference data).
   */
  async lookup<T>(
    tier: string,
    key: string,
    field: string,
    options: { gameVersion?: boolean } = {},
  ): Promise<{ value: T } | { guard: FillGuard } | null> {
    if (!(await this.usable())) {
      this.metrics.cacheMisses.inc({ tier });
      return null;
    }
    try {
      const results = await this.redis
        .pipeline()
        .get(CACHE_EPOCH_KEY)
        .get(versionKey(key))
        .get(options.gameVersion ? GAME_VERSION_KEY : CACHE_EPOCH_KEY)
        .hget(key, field)
        .exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('pipeline returned nothing');
      const [epoch, version, game] = results.slice(0, 3).map(([, value]) => (value as string | null) ?? '') as [string, string, string];
      const entry = parseEntry<T>(results[3]![1] as string | null);
      if (entry && entry.e === epoch && (!options.gameVersion || entry.g === game)) {
        this.metrics.cacheHits.inc({ tier });
        return { value: entry.v };
      }
      this.metrics.cacheMisses.inc({ tier });
      return { guard: { key, field, epoch, version, game: options.gameVersion ? game : undefined } };
    } catch (error) {
      this.markDegraded((error as Error).message);
      this.metrics.cacheMisses.inc({ tier });
      return null;
    }
  }

  /**
   * One round trip: the bytes of a value stored by `fill` under `game:version`, exactly as
   * JSON.stringify wrote them, if its entry is valid now (same epoch, same `game:version`);
   * null on a miss or when the cache cannot be used. The entry is not parsed: its bytes
   * after the guard prefix `{"e":…,"g":…,"v":` are the value, so a whole response can be
   * written as it arrives. A miss counts nothing (the caller falls back to `lookup`).
   */
  async storedBytes(tier: string, key: string, field: string): Promise<Buffer | null> {
    if (this.degraded && !(await this.usable())) return null;
    try {
      const [epoch, game, entry] = await (this.redis as RedisWithScripts).guildhallStoredEntryBuffer(
        CACHE_EPOCH_KEY,
        GAME_VERSION_KEY,
        key,
        field,
      );
      if (!entry) return null;
      const prefix = `{"e":${JSON.stringify(epoch!.toString())},"g":${JSON.stringify(game!.toString())},"v":`;
      const valid =
        entry.length > prefix.length + 1 && entry[entry.length - 1] === 0x7d && entry.toString('latin1', 0, prefix.length) === prefix;
      if (!valid) return null;
      this.metrics.cacheHits.inc({ tier });
      return entry.subarray(prefix.length, entry.length - 1);
    } catch (error) {
      this.markDegraded((error as Error).message);
      return null;
    }
  }

  /** Stores a value read after `lookup`, unless a write or an outage came in between. */
  async fill(guard: FillGuard, value: unknown, ttlSeconds: number): Promise<void> {
    const entry = JSON.stringify({ e: guard.epoch, g: guard.game, v: value });
    await this.redis
      .eval(
        FILL_IF_UNCHANGED,
        3,
        CACHE_EPOCH_KEY,
        versionKey(guard.key),
        guard.key,
        guard.epoch,
        guard.version,
        guard.field,
        entry,
        ttlSeconds,
        MAX_SHAPES_PER_KEY,
      )
      .then(() => undefined)
      .catch((error: Error) => this.markDegraded(error.message));
  }

  /**
   * Values of plain string keys (`user:{id}:profile`): one MGET for all of them (with the
   * epoch and their versions), `loadMissing` once for the misses, one script to fill.
   */
  async readMany<T>(
    tier: string,
    keys: readonly string[],
    loadMissing: (missing: string[]) => Promise<Map<string, T>>,
    ttlSeconds: number,
  ): Promise<Array<T | undefined>> {
    const found = new Map<string, T>();
    let epoch: string | null = null;
    let versions: string[] = [];
    if (await this.usable()) {
      try {
        const values = await this.redis.mget(CACHE_EPOCH_KEY, ...keys, ...keys.map(versionKey));
        epoch = values[0] ?? '';
        versions = values.slice(1 + keys.length).map((v) => v ?? '');
        keys.forEach((key, i) => {
          const entry = parseEntry<T>(values[1 + i] ?? null);
          if (entry && entry.e === epoch) found.set(key, entry.v);
        });
      } catch (error) {
        this.markDegraded((error as Error).message);
        epoch = null;
      }
    }
    const missing = keys.filter((key) => !found.has(key));
    this.metrics.cacheHits.inc({ tier }, found.size);
    this.metrics.cacheMisses.inc({ tier }, missing.length);
    if (missing.length > 0) {
      const loaded = await loadMissing(missing);
      const fills: string[] = [];
      const fillKeys: string[] = [];
      for (const key of missing) {
        const value = loaded.get(key);
        if (value === undefined) continue;
        found.set(key, value);
        fillKeys.push(key, versionKey(key));
        fills.push(versions[keys.indexOf(key)] ?? '', JSON.stringify({ e: epoch, v: value }));
      }
      if (epoch !== null && fillKeys.length > 0) {
        await this.redis
          .eval(FILL_MANY_IF_UNCHANGED, 1 + fillKeys.length, CACHE_EPOCH_KEY, ...fillKeys, epoch, ttlSeconds, ...fills)
          .catch((error: Error) => this.markDegraded(error.message));
      }
    }
    return keys.map((key) => found.get(key));
  }

  /** After a commit: drop every cached shape of these entities and bump their versions. */
  async invalidate(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await runScript(this.redis, DROP_KEYS, keys.length * 2, ...keys.flatMap((key) => [key, versionKey(key)]));
    } catch (error) {
      // The entries may now be stale: stop trusting the cache until the epoch is bumped.
      this.markDegraded((error as Error).message);
    }
  }

  /**
   * Runs cache work of another shape (the reference hashes) under the same outage rule:
   * null, and the cache bypassed until Redis is back, when Redis fails or is known down.
   */
  async attempt<T>(work: (redis: Redis) => Promise<T>): Promise<T | null> {
    if (!(await this.usable())) return null;
    try {
      return await work(this.redis);
    } catch (error) {
      this.markDegraded((error as Error).message);
      return null;
    }
  }

  /** After an accepted change that planned rows do not show: drop only the whole responses of these hashes. */
  async invalidateResponses(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.redis.eval(DROP_RESPONSES, keys.length * 2, ...keys.flatMap((key) => [key, versionKey(key)]), RESPONSE_FIELD_PREFIX);
    } catch (error) {
      this.markDegraded((error as Error).message);
    }
  }

  /**
   * After a change to everything (a world import), or one whose stale keys are unknown: every
   * entry of an older epoch is ignored from now on. If Redis fails, the cache is bypassed until
   * it is back and the epoch bumped, as after any failed invalidation.
   */
  async invalidateEverything(reason?: string): Promise<void> {
    if (reason) this.log.warn({ reason }, 'dropping every cached entry');
    try {
      await this.redis.incr(CACHE_EPOCH_KEY);
    } catch (error) {
      this.markDegraded((error as Error).message);
    }
  }

  private markDegraded(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn({ reason }, 'Redis unavailable: reads bypass the cache until it is back');
  }

  /** True when the cache can be trusted; after an outage, bumps the epoch first. */
  private async usable(): Promise<boolean> {
    if (!this.degraded) return true;
    if (this.redis.status !== 'ready') return false;
    try {
      await this.redis.incr(CACHE_EPOCH_KEY);
      this.degraded = false;
      this.log.info('Redis is back: cache epoch bumped, entries from before the outage are ignored');
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A stable name for a selection (drizzle query options without the `where`, which the key
 * already identifies). Null when the options hold anything but plain data, such as SQL
 * fragments, so such reads simply skip the cache.
 */
export function fingerprint(selection: unknown): string | null {
  const canonical = (value: unknown, top = false): unknown => {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
    if (Array.isArray(value)) return value.map((item) => canonical(item));
    if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
      return Object.keys(value as object)
        .filter((key) => !(top && key === 'where'))
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]);
    }
    throw new Error('not plain data');
  };
  try {
    return createHash('sha1')
      .update(JSON.stringify(canonical(selection, true)))
      .digest('base64url');
  } catch {
    return null;
  }
}
