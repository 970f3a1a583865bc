// npm run world:export -- FILE   |   npm run world:import -- FILE
import { ConfigError, loadConfig } from '../config.js';
import { ReadCache } from '../cache/read-cache.js';
import { openDatabase } from '../db/open.js';
import { announce } from '../invalidation.js';
import { createLogger } from '../logger.js';
import { Metrics } from '../metrics.js';
import { connectRedis } from '../redis/client.js';
import { readGameDataVersion } from '../reference/load.js';
import { exportWorld } from './export.js';
import { importWorld, WorldDocumentError } from './import.js';

const [command, file] = process.argv.slice(2);

async function main(): Promise<number> {
  if ((command !== 'export' && command !== 'import') || !file) {
    console.error('usage: npm run world:export -- FILE | npm run world:import -- FILE');
    return 2;
  }
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const database = await openDatabase(config, log);
  try {
    await database.migrate();
    const started = performance.now();
    const counts = command === 'export' ? await exportWorld(database.db, file) : await importWorld(database.db, file);
    const rows = Object.values(counts).reduce((sum, n) => sum + n, 0);
    console.log(`${command}ed ${rows} rows in ${Object.keys(counts).length} collections in ${Math.round(performance.now() - started)} ms`);
    if (command === 'import') await dropCaches(database.db, config.REDIS_URL, log);
    return 0;
  } finally {
    await database.close();
  }
}

/** Every cached read may predate the import: announce it to the shared Redis, when there is one. */
async function dropCaches(db: Parameters<typeof announce>[0]['db'], url: string | undefined, log: ReturnType<typeof createLogger>) {
  if (!url) return;
  const redis = await connectRedis(url, log);
  try {
    const cache = new ReadCache(redis.redis, log, new Metrics());
    await announce(
      { db, redis: redis.redis, cache },
      { type: 'worldImported' },
      { type: 'referenceDataApplied', version: await readGameDataVersion(db) },
    );
  } catch (error) {
    console.error(`imported, but the caches could not be dropped (${(error as Error).message}): restart the servers or bump cache:epoch`);
  } finally {
    await redis.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof WorldDocumentError || error instanceof ConfigError) console.error(error.message);
    else console.error(`world:${command} failed (nothing was written): ${(error as Error).message}`);
    process.exit(1);
  },
);
