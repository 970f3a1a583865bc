// npm run db:migrate: applies drizzle/ to the configured database and exits.
import { ConfigError, loadConfig, loadDotEnv, StartupError } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './open.js';

try {
  loadDotEnv();
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const handle = await openDatabase(config, log);
  await handle.migrate();
  log.info({ database: handle.kind }, 'migrations applied');
  await handle.close();
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof StartupError ? error.message : error);
  process.exit(1);
}
