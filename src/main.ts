import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

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
const server = createServer(app.yoga);

server.listen(config.PORT, () => {
  const { port } = server.address() as AddressInfo;
  log.info({ port }, `Guildhall listening on http://localhost:${port}/graphql`);
});

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
  // Stop accepting; close idle keep-alive sockets so close() can finish once requests end.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
  await app.close();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
