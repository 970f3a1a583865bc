// Throwaway PostgreSQL and Redis servers on free loopback ports, for the test suite and the benchmark.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const candidate = join(root, version, 'bin', name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`PostgreSQL's ${name} not found under ${root}: run test/ensure-services.sh (installs Debian's postgresql)`);
}

/** PostgreSQL refuses to run as root; as root, run its binaries as the postgres user. */
function runPostgresTool(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Like runPostgresTool without blocking the event loop, so load keeps running while PostgreSQL restarts. */
function runPostgresToolAsync(bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, (error, stdout, stderr) =>
      error ? reject(new Error(`${bin} ${args.join(' ')} failed:\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

export interface ThrowawayServices {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  postgresAdminUrl: string;
  /** redis://127.0.0.1:PORT */
  redisUrl: string;
  /** `pg_ctl restart -m fast`: every backend is ended, as in a real restart, and PostgreSQL is back when it returns. */
  restartPostgres(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** SHUTDOWN NOSAVE: the data goes with it, as in a crash of a cache without persistence. */
  stopRedis(): void;
  /** Starts Redis again on the same port. */
  startRedis(): void;
  stop(): void;
}

export async function startThrowawayServices(options: { redisDatabases?: number } = {}): Promise<ThrowawayServices> {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-services-'));
  chmodSync(dir, 0o777);
  const pgData = join(dir, 'pg');
  const [pgPort, redisPort] = [await freePort(), await freePort()];

  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  runPostgresTool(postgresBin('initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '-N']);
  const pgCtlArgs = (...args: string[]) => [
    '-D',
    pgData,
    '-l',
    join(dir, 'pg.log'),
    '-w',
    ...args,
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${pgPort} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
  ];
  const pgCtl = (...args: string[]) => runPostgresToolAsync(postgresBin('pg_ctl'), pgCtlArgs(...args));
  const startRedis = () =>
    execFileSync('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(redisPort),
      '--save',
      '',
      '--appendonly',
      'no',
      '--databases',
      String(options.redisDatabases ?? 16),
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, 'redis.pid'),
      '--logfile',
      join(dir, 'redis.log'),
      '--dir',
      dir,
    ]);
  const stopRedis = () => void spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
  runPostgresTool(postgresBin('pg_ctl'), pgCtlArgs('start'));
  startRedis();

  return {
    postgresAdminUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    restartPostgres: () => pgCtl('-m', 'fast', 'restart'),
    stopPostgres: () => runPostgresToolAsync(postgresBin('pg_ctl'), ['-D', pgData, '-w', '-m', 'fast', 'stop']),
    startPostgres: () => pgCtl('start'),
    stopRedis,
    startRedis,
    stop() {
      stopRedis();
      runPostgresTool(postgresBin('pg_ctl'), ['-D', pgData, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
