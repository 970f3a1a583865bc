import { CHARACTER_TTL_SECONDS } from '../cache/keys.js';
import type { Executor } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { flushDueStates } from './live-state.js';
import { MemoryPendingStore, type PendingStore, RedisPendingStore, type Timing } from './pending.js';
import type { Redis } from 'ioredis';

export const MAX_PENDING_MS = 10_000;
const BATCH_SIZE = 500;

export interface LiveStateOptions {
  /** Embedded mode: keep pending states in this process instead of Redis. */
  inProcess?: boolean;
  /** LIVE_STATE_FLUSH_MS: the quiet period before a character's state is written. */
  flushMs?: number;
  /** The longest a state stays pending under constant updates (10 s; smaller in tests). */
  capMs?: number;
}

/**
 * Pending live states and the loop that writes them to PostgreSQL. Every instance runs the
 * loop; claims in the store decide which instance writes which character.
 */
export class LiveStates {
  readonly store: PendingStore;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private failing = false;
  private closed = false;

  constructor(
    private readonly db: Executor,
    redis: Redis,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    options: LiveStateOptions = {},
  ) {
    const quietMs = options.flushMs ?? 2000;
    const timing: Timing = {
      quietMs,
      capMs: options.capMs ?? MAX_PENDING_MS,
      leaseMs: 10_000,
      graceMs: (CHARACTER_TTL_SECONDS + 60) * 1000,
      pendingTtlMs: 24 * 60 * 60 * 1000,
    };
    this.store = options.inProcess ? new MemoryPendingStore(timing) : new RedisPendingStore(redis, timing);
    // Polling well inside the quiet period keeps each write within ~1/4 of it of its due time.
    this.timer = setInterval(() => void this.flushDue(), Math.min(250, Math.max(25, quietMs / 4)));
    this.timer.unref();
  }

  /** Writes every state that is due, batch after batch. One run at a time per process. */
  flushDue(now?: () => number): Promise<void> {
    this.running ??= (async () => {
      try {
        for (;;) {
          const written = await flushDueStates(this.db, this.store, now?.() ?? Date.now(), BATCH_SIZE);
          if (written > 0) this.metrics.liveStateFlushStatements.inc();
          this.metrics.liveStatesFlushed.inc(written);
          if (written < BATCH_SIZE) break;
        }
        if (this.failing) this.log.info('live state flush works again');
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.log.error({ err: { message: (error as Error).message } }, 'live state flush failed; retrying');
        this.failing = true;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** The pending store failed an update, which went straight to PostgreSQL instead. */
  storeFailed(error: Error): void {
    this.log.warn({ err: { message: error.message } }, 'live state store unavailable: update written to PostgreSQL directly');
  }

  /** At shutdown: stop the loop and write everything still pending, due or not. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    await this.flushDue(() => Number.MAX_SAFE_INTEGER);
  }
}
