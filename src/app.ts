import type { Config } from './config.js';
import { createServices, type Services } from './context.js';
import { openDatabase } from './db/open.js';
import type { Logger } from './logger.js';
import { openRedis } from './redis/client.js';
import { connectEventBus, inProcessEventBus } from './redis/pubsub.js';
import { seedReferenceData } from './reference/seed.js';
import { createServer, type GuildhallYoga } from './server/yoga.js';

export interface App {
  yoga: GuildhallYoga;
  services: Services;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and Redis, and builds the server around them. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config, log);
  await database.migrate();
  const redisHandle = await openRedis(config, log);
  // Embedded mode has no separate seeding step: keep its reference data current at start.
  if (database.kind === 'pglite') await seedReferenceData(database.db, redisHandle.redis, log);
  const events = config.REDIS_URL ? await connectEventBus(config.REDIS_URL, log) : inProcessEventBus();
  const services = createServices(database.db, redisHandle.redis, log, { draftTtlSeconds: config.DRAFT_TTL_SECONDS, events });
  const yoga = createServer(services, {
    probes: { database: database.ping, redis: redisHandle.ping, subscriptions: events.ping },
  });
  return {
    yoga,
    services,
    async close() {
      await yoga.dispose();
      await events.close();
      await redisHandle.close();
      await database.close();
    },
  };
}
