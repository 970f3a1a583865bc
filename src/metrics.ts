import { Counter, Histogram, Registry } from 'prom-client';

const MAX_OPERATION_NAMES = 200;

/** Prometheus metrics for one server process, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();

  readonly cacheHits = new Counter({
    name: 'guildhall_cache_hits_total',
    help: 'Cache reads answered from Redis, by tier.',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: 'guildhall_cache_misses_total',
    help: 'Cache reads that went to PostgreSQL, by tier (including reads while Redis is unavailable).',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });

  readonly sqlStatements = new Histogram({
    name: 'guildhall_sql_statements_per_operation',
    help: 'SQL statements issued by one GraphQL operation.',
    labelNames: ['operation'] as const,
    buckets: [0, 1, 2, 3, 5, 8, 13, 21, 50],
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'guildhall_graphql_duration_seconds',
    help: 'Time to execute one GraphQL operation.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly answeredBeforeYoga = new Counter({
    name: 'guildhall_answered_before_yoga_total',
    help: 'Requests node:http answered without Yoga, by way: a compiled read or a known mutation (stored responses count as cache hits).',
    labelNames: ['way'] as const,
    registers: [this.registry],
  });

  private readonly operationNames = new Set<string>();

  /**
   * One GraphQL operation's SQL statements and time. Operation names are client-chosen, so
   * only well-formed ones become labels, and only so many.
   */
  observeOperation(name: string | undefined, statements: number, seconds: number): void {
    let operation = name && /^[A-Za-z_]\w{0,63}$/.test(name) ? name : 'anonymous';
    if (operation !== 'anonymous' && !this.operationNames.has(operation)) {
      if (this.operationNames.size >= MAX_OPERATION_NAMES) operation = 'other';
      else this.operationNames.add(operation);
    }
    this.sqlStatements.observe({ operation }, statements);
    this.requestDuration.observe({ operation }, seconds);
  }

  readonly liveStateFlushStatements = new Counter({
    name: 'guildhall_live_state_flush_statements_total',
    help: 'UPDATE statements that wrote a batch of pending live states.',
    registers: [this.registry],
  });

  readonly liveStatesFlushed = new Counter({
    name: 'guildhall_live_states_flushed_total',
    help: 'Pending live states written to PostgreSQL (one per character per flush).',
    registers: [this.registry],
  });
}
