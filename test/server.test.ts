import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { createServices } from '../src/context.js';
import { connectPostgres } from '../src/db/client.js';
import { connectRedis } from '../src/redis/client.js';
import { createServer } from '../src/server/yoga.js';
import { useTestApp } from './support/harness.js';
import { createLogger } from '../src/logger.js';
import { registerPlayer } from './support/players.js';

const app = useTestApp();

describe('endpoints', () => {
  it('/health answers 200 while the process is alive', async () => {
    expect((await app.yoga.fetch('http://guildhall.test/health')).status).toBe(200);
  });

  it('/ready answers 200 when PostgreSQL, Redis and the subscriptions bus all answer', async () => {
    const response = await app.yoga.fetch('http://guildhall.test/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, database: 'ok', redis: 'ok', subscriptions: 'ok' });
  });

  it('/ready answers 503 naming Redis when Redis is unreachable', async () => {
    const log = createLogger('silent');
    const deadRedis = await connectRedis('redis://127.0.0.1:1', log);
    const yoga = createServer(createServices(app.database.db, deadRedis.redis, log), {
      probes: { database: app.database.ping, redis: deadRedis.ping },
    });
    const response = await yoga.fetch('http://guildhall.test/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ready: false, database: 'ok', redis: 'unavailable' });
    await deadRedis.close();
  });

  it('GraphiQL is served at /graphql to a browser', async () => {
    const response = await app.yoga.fetch('http://guildhall.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('GraphiQL');
  });
});

/** Sends a query to a server whose database pool is already closed, capturing its error log. */
async function onClosedDatabase(query: string) {
  const lines: string[] = [];
  const log = createLogger('error', { write: (line: string) => void lines.push(line) });
  const closed = await connectPostgres(app.databaseUrl, { poolSize: 1, log });
  await closed.close();
  const yoga = createServer(createServices(closed.db, app.redisHandle.redis, log), { probes: {} });
  const response = await yoga.fetch('http://guildhall.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { lines, response };
}

describe('errors', () => {
  it('an unexpected failure reaches the client masked, with no stack trace, and is logged', async () => {
    const { lines, response } = await onClosedDatabase('{ character(id: "00000000-0000-4000-8000-000000000000") { id } }');
    const body = await response.text();
    expect(JSON.parse(body).errors[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(body).not.toMatch(/stack|node_modules|\.ts:\d+/);
    expect(lines.join('')).toContain('unexpected error while resolving');
  });

  it('a refusal outside a result union keeps its code: logout with Redis down is SERVICE_UNAVAILABLE', async () => {
    const log = createLogger('silent');
    const deadRedis = await connectRedis('redis://127.0.0.1:1', log);
    const yoga = createServer(createServices(app.database.db, deadRedis.redis, log), { probes: {} });
    const response = await yoga.fetch('http://guildhall.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${'A'.repeat(43)}` },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });
    const body = await response.json();
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    await deadRedis.close();
  });

  it('a document missing a required argument is a GraphQL validation error naming it', async () => {
    const response = await app.yoga.fetch('http://guildhall.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ character { id } }' }),
    });
    const body = await response.json();
    expect(body.errors[0].message).toMatch(/argument "id" of type "ID!" is required/);
    expect(body.data).toBeUndefined();
  });
});

describe('process', () => {
  it('serves on real services and exits 0 on SIGTERM after closing its pools', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: app.databaseUrl, REDIS_URL: app.redisUrl, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<{ msg: string; port?: number }> = [];
    const listening = new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line);
        lines.push(entry);
        if (entry.msg.startsWith('Guildhall listening')) resolve(entry.port);
      });
    });
    const port = await listening;
    const player = await registerPlayer(app);
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${player.token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(await response.json()).toEqual({ data: { viewer: { id: player.id } } });

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.map((l) => l.msg)).toContain('stopped');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

describe('logging unexpected errors', () => {
  it('keeps the failed SQL but never its parameters, which can hold a password hash', async () => {
    // login's first statement is a plain select whose parameters hold the email (register's
    // first is the BEGIN of its transaction, which carries no SQL of its own).
    const { lines, response } = await onClosedDatabase(
      'mutation { login(input: { login: "leaky@example.com", password: "hunter2hunter2" }) { __typename } }',
    );
    expect((await response.json()).errors[0].message).toBe('Unexpected error.');
    const logged = lines.join('');
    expect(logged).toContain('from \\"players\\"');
    expect(logged).toContain('params: [redacted]');
    expect(logged).not.toContain('leaky@example.com');
    expect(logged).not.toMatch(/scrypt\$/);
  });
});
