// Per test file: a fresh database cloned from the migrated template, a private Redis
// db index, and a Guildhall server reached in memory through yoga.fetch.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { sql } from 'drizzle-orm';
import { print, type GraphQLFormattedError } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { createServices, type Services } from '../../src/context.js';
import type { LiveStateOptions } from '../../src/live-state/flusher.js';
import { connectPostgres, type DatabaseHandle } from '../../src/db/client.js';
import { collectStatements } from '../../src/db/statement-log.js';
import { connectRedis, type RedisHandle } from '../../src/redis/client.js';
import { connectEventBus } from '../../src/redis/pubsub.js';
import { createServer, type GuildhallYoga } from '../../src/server/yoga.js';
import { createLogger, type Logger } from '../../src/logger.js';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

export interface RequestOptions {
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestApp {
  yoga: GuildhallYoga;
  services: Services;
  database: DatabaseHandle;
  redisHandle: RedisHandle;
  databaseUrl: string;
  redisUrl: string;
  /** Everything the server logged, one JSON line each. */
  logLines: string[];
  gql<R, V>(document: TypedDocumentNode<R, V>, variables: V, options?: RequestOptions): Promise<GraphQLResponse<R>>;
  /** Like gql, and also returns the SQL statements the operation issued. */
  gqlCounted<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    options?: RequestOptions,
  ): Promise<{ response: GraphQLResponse<R>; statements: string[] }>;
  close(): Promise<void>;
}

function capturingLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createLogger('trace', sink);
}

async function freshDatabaseUrl(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = await connectPostgres(adminUrl, { poolSize: 1, log: pino({ level: 'silent' }) });
  await admin.db.execute(sql.raw(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`));
  await admin.close();
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

async function freshRedisUrl(): Promise<string> {
  const base = inject('redisBaseUrl');
  const allocator = await connectRedis(base, pino({ level: 'silent' }));
  // db 0 holds the allocation counter; test files get 1..63.
  const index = ((await allocator.redis.incr('harness:next-db')) % 63) + 1;
  await allocator.close();
  const url = `${base}/${index}`;
  const handle = await connectRedis(url, pino({ level: 'silent' }));
  await handle.redis.flushdb();
  await handle.close();
  return url;
}

export interface InstanceOptions {
  draftTtlSeconds?: number;
  liveState?: LiveStateOptions;
}

/**
 * The test file's app: started before its first test, closed after its last. The returned
 * object stands for the started app, so tests write `app.gql(…)` as usual.
 */
export function useTestApp(options: InstanceOptions = {}): TestApp {
  let started: TestApp | undefined;
  beforeAll(async () => {
    started = await startTestApp(options);
  });
  afterAll(() => started?.close());
  return new Proxy({} as TestApp, {
    get(_target, property) {
      if (!started) throw new Error('useTestApp: the app starts in beforeAll; use it inside tests');
      return started[property as keyof TestApp];
    },
  });
}

export async function startTestApp(options: InstanceOptions = {}): Promise<TestApp> {
  const [databaseUrl, redisUrl] = await Promise.all([freshDatabaseUrl(), freshRedisUrl()]);
  return startInstance(databaseUrl, redisUrl, options);
}

/** A server instance on given PostgreSQL and Redis URLs: two of them on the same URLs are two instances of one deployment. */
export async function startInstance(databaseUrl: string, redisUrl: string, options: InstanceOptions = {}): Promise<TestApp> {
  const logLines: string[] = [];
  const log = capturingLogger(logLines);
  const database = await connectPostgres(databaseUrl, { poolSize: 10, log });
  const redisHandle = await connectRedis(redisUrl, log);
  const events = await connectEventBus(redisUrl, log);
  const services = createServices(database.db, redisHandle.redis, log, { ...options, events });
  const yoga = createServer(services, { probes: { database: database.ping, redis: redisHandle.ping, subscriptions: events.ping } });

  async function gql<R, V>(document: TypedDocumentNode<R, V>, variables: V, options: RequestOptions = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await yoga.fetch('http://guildhall.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: print(document), variables }),
    });
    return (await response.json()) as GraphQLResponse<R>;
  }

  return {
    yoga,
    services,
    database,
    redisHandle,
    databaseUrl,
    redisUrl,
    logLines,
    gql,
    async gqlCounted(document, variables, options) {
      const { result, statements } = await collectStatements(() => gql(document, variables, options));
      return { response: result, statements };
    },
    async close() {
      await yoga.dispose();
      await events.close();
      await services.liveStates.close();
      await redisHandle.close();
      await database.close();
    },
  };
}
