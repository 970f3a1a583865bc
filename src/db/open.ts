import type { Config } from '../config.js';
import { redactUrl, type Logger } from '../logger.js';
import { connectPostgres, embeddedDataDir, openPglite, type DatabaseHandle } from './client.js';

/** PostgreSQL when DATABASE_URL is set, otherwise embedded PGlite under DATA_DIR. */
export async function openDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    log.info({ database: 'postgres', url: redactUrl(config.DATABASE_URL) }, 'using PostgreSQL');
    return connectPostgres(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE, log });
  }
  const dir = embeddedDataDir(config.DATA_DIR);
  log.info({ database: 'pglite', dir }, 'DATABASE_URL not set: using embedded PGlite');
  return openPglite(dir, { log });
}
