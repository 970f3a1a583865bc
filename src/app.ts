import type { Config } from './config.js';
import { createServices } from './context.js';
import { openDatabase } from './db/open.js';
import type { Logger } from './logger.js';
import { openRedis } from './redis/client.js';
import { seedReferenceData } from './reference/seed.js';
import { createServer, type GuildhallYoga } from './server/yoga.js';

export interface App {
  yoga: GuildhallYoga;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and Redis, and builds the server around them. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config, log);
  await database.migrate();
  const redisHandle = await openRedis(config, log);
  // Embedded mode has no separate seeding step: keep its reference data current at start.
  if (database.kind === 'pglite') await seedReferenceData(database.db, redisHandle.redis, log);
  const services = createServices(database.db, redisHandle.redis, log, {
    draftTtlSeconds: config.DRAFT_TTL_SECONDS,
    liveState: { inProcess: redisHandle.kind === 'in-process', flushMs: config.LIVE_STATE_FLUSH_MS },
  });
  const yoga = createServer(services, { probes: { database: database.ping, redis: redisHandle.ping } });
  return {
    yoga,
    async close() {
      await yoga.dispose();
      // Pending live states are written before the pools close.
      await services.liveStates.close();
      await redisHandle.close();
      await database.close();
    },
  };
}
