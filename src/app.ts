import { type Config, exposureOf, StartupError } from './config.js';
import type { Services } from './context.js';
import { embeddedDataDir } from './db/client.js';
import { openDatabase } from './db/open.js';
import { prepareEmbeddedDatabase } from './embedded.js';
import { type Logger, redactUrl } from './logger.js';
import { openRedis } from './redis/client.js';
import { connectEventBus, inProcessEventBus } from './redis/pubsub.js';
import type { GuildhallYoga } from './server/yoga.js';

export interface App {
  yoga: GuildhallYoga;
  services: Services;
  close(): Promise<void>;
}

/** Opens the database (migrated, and in embedded mode seeded) and Redis, and builds the server around them. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  if (!config.DATABASE_URL) await prepareEmbeddedDatabase(embeddedDataDir(config.DATA_DIR), log);
  // The schema and the server's plugins load while the database opens (PGlite compiles its
  // WebAssembly on another thread meanwhile): a second start answers sooner. One Promise.all,
  // so a refusal to open (the data folder locked) is handled at once, never unhandled.
  const [database, { createServices }, { createServer }] = await Promise.all([
    openDatabase(config, log),
    import('./context.js'),
    import('./server/yoga.js'),
  ]);
  await database.ping().catch(async (error: Error) => {
    await database.close().catch(() => {});
    throw new StartupError(`Cannot reach PostgreSQL at ${redactUrl(config.DATABASE_URL ?? '')}: ${error.message}`);
  });
  // Embedded mode was migrated and seeded by prepareEmbeddedDatabase, in a child process.
  if (database.kind === 'postgres') await database.migrate();
  const redisHandle = await openRedis(config, log);
  const events = config.REDIS_URL ? await connectEventBus(config.REDIS_URL, log) : inProcessEventBus();
  const services = createServices(database.db, redisHandle.redis, log, {
    draftTtlSeconds: config.DRAFT_TTL_SECONDS,
    events,
    liveState: { inProcess: redisHandle.kind === 'in-process', flushMs: config.LIVE_STATE_FLUSH_MS },
  });
  const yoga = createServer(services, {
    probes: { database: database.ping, redis: redisHandle.ping, subscriptions: events.ping },
    exposure: exposureOf(config),
  });
  return {
    yoga,
    services,
    async close() {
      await yoga.dispose();
      await events.close();
      // Pending live states are written before the pools close.
      await services.liveStates.close();
      await redisHandle.close();
      await database.close();
    },
  };
}
