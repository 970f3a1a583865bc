import { createServer, type Server } from 'node:http';
import { type App, startApp } from './app.js';
import { type Config, ConfigError, loadConfig, loadDotEnv, StartupError } from './config.js';
import { createLogger } from './logger.js';
import type { HttpServer } from './server/http.js';

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
function takePort(server: Server, port: number): Promise<void> {
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
// Until the app is ready, every request gets 503 (so /ready is honest during start-up).
const server = createServer((_request, response) => {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end('{"ready":false,"starting":true}');
});
let app: App;
let http: HttpServer;
try {
  await takePort(server, config.PORT);
  const [started, { serveGraphQL }] = await Promise.all([startApp(config, log), import('./server/http.js')]);
  app = started;
  http = serveGraphQL(server, app.yoga);
} catch (error) {
  exitOnStartupError(error);
}
log.info({ port: http.port }, `Guildhall listening on http://localhost:${http.port}/graphql (WebSocket: graphql-ws on the same path)`);

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
  const closed = http.close();
  app.services.events.endSubscriptions();
  await closed;
  await app.close();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
