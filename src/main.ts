import { startApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { listen } from './server/http.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = createLogger(config.LOG_LEVEL);
const app = await startApp(config, log);
const server = await listen(app.yoga, config.PORT);
log.info({ port: server.port }, `Guildhall listening on http://localhost:${server.port}/graphql (WebSocket: graphql-ws on the same path)`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: finishing in-flight requests');
  // A stuck connection must not keep the process alive forever.
  setTimeout(() => {
    log.error('shutdown timed out; exiting');
    process.exit(1);
  }, 10_000).unref();
  // Stop accepting and end live subscriptions (clients reconnect elsewhere); requests in flight finish.
  const closed = server.close();
  app.services.events.endSubscriptions();
  await closed;
  await app.close();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
