// npm run db:seed [-- --dir path]: validates seeds/*.json, applies them, invalidates Redis.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv, StartupError } from '../config.js';
import { embeddedDataDir } from '../db/client.js';
import { openDatabase } from '../db/open.js';
import { createLogger, redactUrl } from '../logger.js';
import { connectRedis } from '../redis/client.js';
import { KIND_NAMES, KINDS } from './kinds.js';
import { SEEDS_DIR, seedReferenceData } from './seed.js';
import { SeedValidationError } from './validate.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: SEEDS_DIR } } });

async function main(): Promise<number> {
  loadDotEnv();
  const config = loadConfig();
  const target = config.DATABASE_URL
    ? `PostgreSQL at ${redactUrl(config.DATABASE_URL)}`
    : `the embedded database in ${embeddedDataDir(config.DATA_DIR)} (refused while a server has it open)`;
  console.log(`db:seed: writing to ${target}`);
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const database = await openDatabase(config, log);
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, log) : null;
  try {
    await database.migrate();
    const { report, version } = await seedReferenceData(database.db, redis?.redis ?? null, log, values.dir);
    for (const kind of KIND_NAMES) {
      const c = report[kind];
      console.log(
        `${KINDS[kind].file.padEnd(18)} inserted ${c.inserted}  updated ${c.updated}  deleted ${c.deleted}  unchanged ${c.unchanged}`,
      );
    }
    console.log(`game data version ${version}${redis ? '' : ' (REDIS_URL not set: no cache to invalidate)'}`);
    return 0;
  } finally {
    await redis?.close();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SeedValidationError) {
      console.error(`Seed files refused; nothing was written.\n${error.problems.join('\n')}`);
    } else if (error instanceof ConfigError || error instanceof StartupError) {
      console.error(error.message);
    } else {
      console.error(`db:seed failed: ${(error as Error).message}`);
    }
    process.exit(1);
  },
);
