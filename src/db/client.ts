import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { sql, type Logger as DrizzleLogger } from 'drizzle-orm';
import type { PgAsyncDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from '../logger.js';
import { PROJECT_ROOT } from '../paths.js';
import { lockDataDir } from './data-dir-lock.js';
import { relations } from './relations.js';
import { recordStatement, type StatementCount } from './statement-log.js';

export type Database = PgAsyncDatabase<PgQueryResultHKT, typeof relations>;
/** What a model function accepts: the database or an open transaction. */
export type Executor = Pick<Database, 'select' | 'insert' | 'update' | 'delete' | 'query' | 'execute'>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, 'drizzle');

/**
 * Drizzle compiles a row mapper per query shape (`jit`) instead of walking each row's fields
 * generically: less CPU and garbage per row on large nested reads (measured: npm run bench, P2).
 */
const DRIZZLE_JIT = { jit: true } as const;

function statementLogger(log: Logger, statements?: StatementCount): DrizzleLogger {
  return {
    logQuery(query) {
      recordStatement(query, statements);
      log.trace({ sql: query }, 'sql');
    },
  };
}

/** What `recordingInto` reads of a drizzle database and its session (postgres.js and PGlite alike). */
interface DrizzleInternals {
  dialect: unknown;
  session: { client: unknown; relations: unknown; options: object; constructor: new (...args: unknown[]) => unknown };
  _: { relations: unknown };
  $client: unknown;
  $cache: unknown;
  constructor: new (...args: unknown[]) => Database;
}

/**
 * `db` again, on the same connections, with every statement it runs (its transactions' too)
 * also counted in `statements`: a request's handle, so its statements are counted without
 * async context tracking (see statement-log.ts). A proxy that makes, on a request's first
 * use of the database, a drizzle database and session around the shared client, dialect (with
 * its compiled row mappers) and relations (about 4 µs): a request that never touches
 * PostgreSQL (a drink, a cached read) makes none, and the context stays a plain object literal.
 */
export function recordingInto(db: Database, statements: StatementCount, log: Logger): Database {
  return new Proxy(db, new Recording(db as unknown as DrizzleInternals, statements, log));
}

/**
 * The proxy's handler: every operation goes to the counting database (drizzle's methods, run
 * with the proxy as `this`, read `this.session` and `this.dialect` through `get`), so nothing
 * done to the handle reaches the shared one. `$client` (the raw client compiled reads use)
 * is the shared one's, and asking for it builds nothing.
 */
class Recording implements ProxyHandler<Database> {
  private counting: object | undefined;

  constructor(
    private readonly shared: DrizzleInternals,
    private readonly statements: StatementCount,
    private readonly log: Logger,
  ) {}

  private database(): object {
    if (this.counting) return this.counting;
    const { session, dialect } = this.shared;
    const Session = session.constructor;
    const counting = new this.shared.constructor(
      dialect,
      new Session(session.client, dialect, session.relations, { ...session.options, logger: statementLogger(this.log, this.statements) }),
      this.shared._.relations,
    );
    Object.assign(counting, { $client: this.shared.$client, $cache: this.shared.$cache });
    this.counting = counting;
    return counting;
  }

  get(_target: Database, property: string | symbol): unknown {
    return property === '$client' ? this.shared.$client : Reflect.get(this.database(), property);
  }
  set(_target: Database, property: string | symbol, value: unknown): boolean {
    return Reflect.set(this.database(), property, value);
  }
  has(_target: Database, property: string | symbol): boolean {
    return Reflect.has(this.database(), property);
  }
  ownKeys(): Array<string | symbol> {
    return Reflect.ownKeys(this.database());
  }
  getOwnPropertyDescriptor(_target: Database, property: string | symbol): PropertyDescriptor | undefined {
    return Reflect.getOwnPropertyDescriptor(this.database(), property);
  }
  defineProperty(_target: Database, property: string | symbol, descriptor: PropertyDescriptor): boolean {
    return Reflect.defineProperty(this.database(), property, descriptor);
  }
  deleteProperty(_target: Database, property: string | symbol): boolean {
    return Reflect.deleteProperty(this.database(), property);
  }
}

/**
 * Drizzle runs every statement unnamed (postgres.js `unsafe(…, { prepare: false })`), so
 * PostgreSQL parses and plans each one on every call. A statement with parameters is a shape
 * written in code: those are prepared instead, which postgres.js does once per connection and
 * text, binding values afterwards (measured: npm run bench, P3 and P4). Statements without
 * parameters (DDL, identifiers spliced in) and very long or wide ones (bulk inserts, whose text
 * varies with the row count) run as before. Neither postgres.js nor PostgreSQL ever forgets a
 * prepared statement while its connection lives, and the text of a relational read follows
 * the client's selection, so only the first PREPARED_TEXTS_MAX distinct texts of the process
 * are prepared (compiled reads' included); later ones run unnamed. Transactions and savepoints
 * hand their callback a connection of their own, which prepares the same way.
 */
const PREPARED_MAX_PARAMS = 64;
const PREPARED_MAX_TEXT = 8_192;
const PREPARED_TEXTS_MAX = 500;
const preparedTexts = new Set<string>();

type PostgresClient = import('postgres').Sql;

function worthPreparing(text: string, params: readonly unknown[] | undefined, asked: boolean): boolean {
  const shaped = (params?.length ?? 0) > 0 && params!.length <= PREPARED_MAX_PARAMS && text.length <= PREPARED_MAX_TEXT;
  if (!asked && !shaped) return false;
  if (preparedTexts.has(text)) return true;
  if (preparedTexts.size >= PREPARED_TEXTS_MAX) return false;
  preparedTexts.add(text);
  return true;
}

function preparing(client: PostgresClient): PostgresClient {
  // Made once per client, not on every read of the property (each statement reads `unsafe`).
  const unsafe = (text: string, params?: unknown[], options?: { prepare?: boolean }) =>
    client.unsafe(text, params as never, { ...options, prepare: worthPreparing(text, params, options?.prepare === true) });
  const preparingCallback =
    (method: 'begin' | 'savepoint') =>
    (...args: unknown[]) =>
      (client as unknown as Record<typeof method, (...args: unknown[]) => unknown>)[method].apply(
        client,
        args.map((arg) => (typeof arg === 'function' ? (inner: PostgresClient) => arg(preparing(inner)) : arg)),
      );
  const begin = preparingCallback('begin');
  // Only a transaction's connection has savepoints.
  const savepoint = 'savepoint' in client ? preparingCallback('savepoint') : undefined;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe;
      if (property === 'begin') return begin;
      if (property === 'savepoint' && savepoint) return savepoint;
      return Reflect.get(target, property, receiver);
    },
  });
}

export async function connectPostgres(url: string, options: { poolSize: number; log: Logger }): Promise<DatabaseHandle> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(url, {
    max: options.poolSize,
    onnotice: () => {},
    // Outages (DESIGN §3, issue #13): a connection attempt gives up after 1 s, and reconnects back
    // off for at most 0.2 s. postgres.js's default backoff grows with every failed attempt of the
    // pool, shared, to 20 s, which kept requests waiting long after PostgreSQL was back.
    connect_timeout: 1,
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 0.2),
  });
  const db = drizzle({ client: preparing(client), relations, logger: statementLogger(options.log), ...DRIZZLE_JIT });
  return {
    db,
    kind: 'postgres',
    migrate: async () => {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** Embedded PostgreSQL (PGlite). `dataDir` of 'memory://' keeps nothing on disk. */
export async function openPglite(dataDir: string, options: { log: Logger }): Promise<DatabaseHandle> {
  // PGlite is PostgreSQL compiled to WebAssembly. V8 compiles its 10 MB module, and later its hot
  // functions, on one background thread per core; each thread's malloc arena keeps what that
  // compilation used (about 60 MB idle on 2 cores). One compilation thread keeps the embedded
  // server small and its queries as fast. (Measured: npm run bench:start.)
  setFlagsFromString('--wasm-num-compilation-tasks=1');
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const client = await PGlite.create(dataDir, {
    // PostgreSQL's default 128 MB of shared buffers ends up as WebAssembly memory, which never
    // shrinks; an embedded game database is small. (Measured: npm run bench:start.)
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB', '-c', 'temp_buffers=4MB', '-c', 'work_mem=4MB'],
  }).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const db = drizzle({ client, relations, logger: statementLogger(options.log), ...DRIZZLE_JIT });
  return {
    db,
    kind: 'pglite',
    migrate: async () => {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await client.close();
      unlock();
    },
  };
}

export function embeddedDataDir(dataRoot: string): string {
  return join(dataRoot, 'pglite');
}
