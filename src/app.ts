import { type Config, exposureOf, StartupError } from './config.js';
import { createServices } from './context.js';
import { embeddedDataDir } from './db/client.js';
import { openDatabase } from './db/open.js';
import { prepareEmbeddedDatabase } from './embedded.js';
import { type Logger, redactUrl } from './logger.js';
import { openRedis } from './redis/client.js';
import { createServer, type GuildhallYoga } from './server/yoga.js';

export interface App {
  yoga: GuildhallYoga;
  close(): Promise<void>;
}

/** Opens the database (migrated, and in embedded mode seeded) and Redis, and builds the server around them. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  if (!config.DATABASE_URL) await prepareEmbeddedDatabase(embeddedDataDir(config.DATA_DIR), log);
  const database = await openDatabase(config, log);
  await database.ping().catch(async (error: Error) => {
    await database.close().catch(() => {});
    throw new StartupError(`Cannot reach PostgreSQL at ${redactUrl(config.DATABASE_URL ?? '')}: ${error.message}`);
  });
  // Embedded mode was migrated and seeded by prepareEmbeddedDatabase, in a child process.
  if (database.kind === 'postgres') await database.migrate();
  const redisHandle = await openRedis(config, log);
  const yoga = createServer(createServices(database.db, redisHandle.redis, log, { draftTtlSeconds: config.DRAFT_TTL_SECONDS }), {
    probes: { database: database.ping, redis: redisHandle.ping },
    exposure: exposureOf(config),
  });
  return {
    yoga,
    async close() {
      await yoga.dispose();
      await redisHandle.close();
      await database.close();
    },
  };
}
