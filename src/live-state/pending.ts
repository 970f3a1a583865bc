import type { Redis } from 'ioredis';
import { LIVE_PENDING_KEY, liveStateKey } from '../cache/keys.js';

/** A character's live state; an omitted field keeps its value. */
export interface LiveState {
  currentRoomId?: string;
  health?: number;
  mana?: number;
  stamina?: number;
}

/** Every accepted update since the last flush, coalesced, with the sequence of the latest. */
export interface PendingState extends LiveState {
  characterId: string;
  seq: number;
}

export interface Timing {
  /** Flush once a character has been quiet this long. */
  quietMs: number;
  /** Flush at most this long after a character's first pending update. */
  capMs: number;
  /** How long a claimed batch belongs to its flusher before another may take it over. */
  leaseMs: number;
  /** How long a flushed state still overlays reads: longer than any cached row can live. */
  graceMs: number;
  /** How long an unflushed state waits for a flusher (every instance down) before it expires. */
  pendingTtlMs: number;
}

/** Where accepted live states wait for their flush: Redis (services mode) or this process (embedded). */
export interface PendingStore {
  /** Coalesces an accepted update onto the character's pending state; returns that state. */
  record(characterId: string, state: LiveState, now: number): Promise<PendingState>;
  /** The latest accepted state of each character, pending or recently flushed, if any. */
  latest(characterIds: readonly string[]): Promise<Array<PendingState | null>>;
  /** Ids whose flush is due by `now` (a hint: `claim` decides). */
  due(now: number, limit: number): Promise<string[]>;
  /** Takes these characters' due states for one flusher; others skip them until the lease ends. */
  claim(characterIds: string[], now: number): Promise<PendingState[]>;
  /** After the batch is written: forgets what was flushed, keeps what arrived in the meantime. */
  settle(flushed: PendingState[]): Promise<void>;
}

const FIELDS = ['currentRoomId', 'health', 'mana', 'stamina'] as const;

function toPending(characterId: string, hash: Record<string, string>): PendingState | null {
  if (!hash.seq) return null;
  const state: PendingState = { characterId, seq: Number(hash.seq) };
  if (hash.currentRoomId !== undefined) state.currentRoomId = hash.currentRoomId;
  for (const vital of ['health', 'mana', 'stamina'] as const) if (hash[vital] !== undefined) state[vital] = Number(hash[vital]);
  return state;
}

/** A flat HGETALL reply from a script, as a record. */
function pairs(flat: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

// KEYS: live:{id}, live:pending. ARGV: id, now, quietMs, capMs, pendingTtlMs, field, value, …
// The sequence grows strictly per character; a state claimed by a flusher starts a new
// pending period, so the 10 s cap counts from the first update the flusher did not take.
const RECORD = `
local now = tonumber(ARGV[2])
local seq = math.max(now, tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') + 1)
local first = tonumber(redis.call('HGET', KEYS[1], 'first') or '-1')
if first < 0 or redis.call('HEXISTS', KEYS[1], 'claimed') == 1 then first = now end
redis.call('HDEL', KEYS[1], 'claimed')
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'seq', string.format('%.0f', seq), 'first', string.format('%.0f', first), unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local due = math.min(now + tonumber(ARGV[3]), first + tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], string.format('%.0f', due), ARGV[1])
return redis.call('HGETALL', KEYS[1])`;

// KEYS: live:pending, live:{id}… ARGV: now, lease end, id…
// A member is taken only if due; its score becomes the lease end, so a flusher killed
// mid-batch leaves it to whoever claims after the lease.
const CLAIM = `
local out = {}
for i = 2, #KEYS do
  local id = ARGV[i + 1]
  local due = redis.call('ZSCORE', KEYS[1], id)
  if due and tonumber(due) <= tonumber(ARGV[1]) then
    local state = redis.call('HGETALL', KEYS[i])
    if #state == 0 then
      redis.call('ZREM', KEYS[1], id)
    else
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      redis.call('HSET', KEYS[i], 'claimed', '1')
      out[#out + 1] = id
      out[#out + 1] = state
    end
  end
end
return out`;

// KEYS: live:pending, live:{id}… ARGV: graceMs, id, seq, id, seq…
// Only a state unchanged since the claim leaves the queue; a newer one stays pending.
const SETTLE = `
for i = 2, #KEYS do
  local id, seq = ARGV[2 * i - 2], ARGV[2 * i - 1]
  if redis.call('HGET', KEYS[i], 'seq') == seq then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[i], 'first', 'claimed')
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  end
end
return 0`;

/** Services mode: `live:{characterId}` hashes and the `live:pending` queue, shared by every instance. */
export class RedisPendingStore implements PendingStore {
  constructor(
    private readonly redis: Redis,
    private readonly timing: Timing,
  ) {}

  async record(characterId: string, state: LiveState, now: number): Promise<PendingState> {
    const fields = FIELDS.flatMap((field) => (state[field] === undefined ? [] : [field, String(state[field])]));
    const { quietMs, capMs, pendingTtlMs } = this.timing;
    const flat = await this.redis.eval(
      RECORD,
      2,
      liveStateKey(characterId),
      LIVE_PENDING_KEY,
      characterId,
      now,
      quietMs,
      capMs,
      pendingTtlMs,
      ...fields,
    );
    return toPending(characterId, pairs(flat as string[]))!;
  }

  async latest(characterIds: readonly string[]): Promise<Array<PendingState | null>> {
    const pipeline = this.redis.pipeline();
    for (const id of characterIds) pipeline.hgetall(liveStateKey(id));
    const results = (await pipeline.exec()) ?? [];
    return characterIds.map((id, i) => {
      const [error, hash] = results[i] ?? [new Error('no reply')];
      if (error) throw error;
      return toPending(id, hash as Record<string, string>);
    });
  }

  due(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(LIVE_PENDING_KEY, '-inf', now, 'LIMIT', 0, limit);
  }

  async claim(characterIds: string[], now: number): Promise<PendingState[]> {
    if (characterIds.length === 0) return [];
    const keys = characterIds.map(liveStateKey);
    const reply = (await this.redis.eval(
      CLAIM,
      1 + keys.length,
      LIVE_PENDING_KEY,
      ...keys,
      now,
      Date.now() + this.timing.leaseMs,
      ...characterIds,
    )) as Array<string | string[]>;
    const claimed: PendingState[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const state = toPending(reply[i] as string, pairs(reply[i + 1] as string[]));
      if (state) claimed.push(state);
    }
    return claimed;
  }

  async settle(flushed: PendingState[]): Promise<void> {
    if (flushed.length === 0) return;
    const keys = flushed.map((state) => liveStateKey(state.characterId));
    const args = flushed.flatMap((state) => [state.characterId, String(state.seq)]);
    await this.redis.eval(SETTLE, 1 + keys.length, LIVE_PENDING_KEY, ...keys, this.timing.graceMs, ...args);
  }
}

interface Entry {
  state: PendingState;
  first: number | null;
  due: number;
  claimed: boolean;
  expiresAt: number;
}

/** Embedded mode: the same rules in this process's memory (flushed on SIGTERM). */
export class MemoryPendingStore implements PendingStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly timing: Timing) {}

  async record(characterId: string, state: LiveState, now: number): Promise<PendingState> {
    const entry = this.current(characterId, now);
    const seq = Math.max(now, (entry?.state.seq ?? 0) + 1);
    const first = entry?.first != null && !entry.claimed ? entry.first : now;
    const defined = Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined));
    this.entries.set(characterId, {
      state: { ...entry?.state, ...defined, characterId, seq },
      first,
      due: Math.min(now + this.timing.quietMs, first + this.timing.capMs),
      claimed: false,
      expiresAt: now + this.timing.pendingTtlMs,
    });
    return { ...this.entries.get(characterId)!.state };
  }

  async latest(characterIds: readonly string[]): Promise<Array<PendingState | null>> {
    const now = Date.now();
    return characterIds.map((id) => this.current(id, now)?.state ?? null);
  }

  async due(now: number, limit: number): Promise<string[]> {
    const ids: string[] = [];
    for (const [id, entry] of this.entries) {
      if (ids.length >= limit) break;
      if (entry.first !== null && entry.due <= now) ids.push(id);
    }
    return ids;
  }

  async claim(characterIds: string[], now: number): Promise<PendingState[]> {
    const claimed: PendingState[] = [];
    for (const id of characterIds) {
      const entry = this.current(id, Date.now());
      if (!entry || entry.first === null || entry.due > now) continue;
      entry.claimed = true;
      entry.due = Date.now() + this.timing.leaseMs;
      claimed.push({ ...entry.state });
    }
    return claimed;
  }

  async settle(flushed: PendingState[]): Promise<void> {
    for (const state of flushed) {
      const entry = this.entries.get(state.characterId);
      if (entry?.state.seq !== state.seq) continue;
      entry.first = null;
      entry.claimed = false;
      entry.expiresAt = Date.now() + this.timing.graceMs;
    }
  }

  private current(characterId: string, now: number): Entry | undefined {
    const entry = this.entries.get(characterId);
    if (entry && entry.expiresAt <= now) this.entries.delete(characterId);
    return entry && entry.expiresAt > now ? entry : undefined;
  }
}
