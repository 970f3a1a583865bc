import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type App, startApp } from './app.js';
import { type Config, ConfigError, loadConfig, loadDotEnv, StartupError } from './config.js';
import { createLogger } from './logger.js';

/** A problem a person can act on is one line on stderr and exit code 1; anything else throws. */
function exitOnStartupError(error: unknown): never {
  if (!(error instanceof ConfigError || error instanceof StartupError)) throw error;
  console.error(error.message);
  process.exit(1);
}

let config: Config;
try {
  loadDotEnv();
  config = loadConfig();
} catch (error) {
  exitOnStartupError(error);
}

/** Takes the port before anything slow, so a busy port is reported before the database is touched. */
function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError(`Port ${port} is already in use: stop the program using it, or set PORT to another port.`)
          : error,
      ),
    );
    server.listen(port, () => resolve());
  });
}

const log = createLogger(config.LOG_LEVEL);
let app: App | undefined;
const server = createServer((request, response) => {
  if (app) return app.yoga(request, response);
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end('{"ready":false,"starting":true}');
});
try {
  await listen(server, config.PORT);
  app = await startApp(config, log);
} catch (error) {
  exitOnStartupError(error);
}
const { port } = server.address() as AddressInfo;
log.info({ port }, `Guildhall listening on http://localhost:${port}/graphql`);

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
  await app?.close();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
