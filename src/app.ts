import type { Config } from './config.js';
import { openDatabase } from './db/open.js';
import type { Logger } from './logger.js';
import { openRedis } from './redis/client.js';
import { createServer, type GuildhallYoga } from './server.js';

export interface App {
  yoga: GuildhallYoga;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and Redis, and builds the server around them. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config, log);
  await database.migrate();
  const redisHandle = await openRedis(config, log);
  const yoga = createServer(
    { db: database.db, redis: redisHandle.redis, log },
    { probes: { database: database.ping, redis: redisHandle.ping } },
  );
  return {
    yoga,
    async close() {
      await yoga.dispose();
      await redisHandle.close();
      await database.close();
    },
  };
}
