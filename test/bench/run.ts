// npm run bench: measures Guildhall against bare node:http baselines in the same run.
// Starts throwaway PostgreSQL and Redis, loads the fixture, then runs each workload at
// 32 connections and prints requests/s, p50/p99 latency, SQL per request, server RSS
// and the ratio to the baseline. Results go to bench-results/ (git-ignored).
// BENCH_DURATION (seconds, default 10) and BENCH_CONNECTIONS (default 32) override.
// P7 (leaderboards on 1M players, test/bench/progress.ts) runs last; BENCH_P7=0 skips it.
import { spawn, type ChildProcess } from 'node:child_process';
import { rssMb } from '../support/wait.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { connectPostgres } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { seedReferenceData } from '../../src/reference/seed.js';
import { characters } from '../../src/characters/tables.js';
import { loadFixture } from './fixture.js';
import { freePort, startThrowawayServices } from '../support/throwaway.js';
import { P1_QUERY, P2_QUERY, zipfSampler } from './workloads.js';
import { runP7 } from './progress.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const log = createLogger('silent');
const step = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** The node flags of package.json's `start` script (`node --flag=value … dist/src/main.js`). */
const startFlags = () =>
  ((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.match(/ --[\w-]+=\S+/g) ?? [])
    .join('')
    .trim();

function startProcess(args: string[], env: Record<string, string>, readyWhen: RegExp): Promise<ChildProcess> {
  // Compiled JavaScript runs as is (the server, as `npm start` runs it); TypeScript through tsx.
  const node = args[0]!.endsWith('.ts') ? ['--import', 'tsx', ...args] : args;
  const child = spawn(process.execPath, node, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (readyWhen.test(line)) resolve(child);
    });
  });
}

async function sqlStats(port: number, operation: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (suffix: string) =>
    Number(text.match(new RegExp(`guildhall_sql_statements_per_operation_${suffix}\\{operation="${operation}"\\} ([\\d.e+]+)`))?.[1] ?? 0);
  return { sum: value('sum'), count: value('count') };
}

interface Measured {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  sqlPerRequest?: number;
  peakRssMb?: number;
}

type BenchRequest = string | { body: string; headers?: Record<string, string> };

async function measure(
  name: string,
  port: number,
  body: () => BenchRequest,
  watch?: { pid: number; operation: string },
): Promise<Measured> {
  step(`${name}: ${DURATION}s at ${CONNECTIONS} connections`);
  let peakRss = watch ? rssMb(watch.pid) : 0;
  const before = watch ? await sqlStats(port, watch.operation) : undefined;
  const ticker = setInterval(() => {
    if (watch) peakRss = Math.max(peakRss, rssMb(watch.pid));
    process.stdout.write('.');
  }, 1000);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const next = body();
          return typeof next === 'string'
            ? { ...request, body: next }
            : { ...request, body: next.body, headers: { ...request.headers, ...next.headers } };
        },
      },
    ],
  });
  clearInterval(ticker);
  process.stdout.write('\n');
  const measured: Measured = {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
  if (watch && before) {
    // Statements executed during the run over requests answered (responses served from
    // the cache execute nothing and count as zero).
    const after = await sqlStats(port, watch.operation);
    measured.sqlPerRequest = (after.sum - before.sum) / Math.max(1, result.requests.total);
    measured.peakRssMb = Math.max(peakRss, rssMb(watch.pid));
  }
  return measured;
}

const children: ChildProcess[] = [];
const services = await startThrowawayServices();
try {
  step('services up; creating the fixture (1,000 players, 3,000 characters)');
  const admin = await connectPostgres(services.postgresAdminUrl, { poolSize: 1, log });
  await admin.db.execute(sql.raw('CREATE DATABASE bench'));
  await admin.close();
  const databaseUrl = services.postgresAdminUrl.replace(/\/postgres$/, '/bench');
  const database = await connectPostgres(databaseUrl, { poolSize: 2, log });
  await database.migrate();
  await seedReferenceData(database.db, null, log);
  await loadFixture(database.db);
  const ids = (await database.db.select({ id: characters.id }).from(characters)).map((row) => row.id);
  await database.close();

  const [guildhallPort, p1Port, p2Port] = [await freePort(), await freePort(), await freePort()];
  const guildhall = await startProcess(
    ['dist/src/main.js'],
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: services.redisUrl,
      PORT: String(guildhallPort),
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      // The node flags `npm start` runs the server with, unless BENCH_SERVER_NODE_OPTIONS says otherwise.
      NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? startFlags(),
    },
    /Guildhall listening/,
  );
  children.push(guildhall);
  step(`guildhall up (pid ${guildhall.pid}), RSS ${rssMb(guildhall.pid!).toFixed(0)} MB`);

  // P1 bodies, exactly as Guildhall answers them, for the Redis baseline; this also warms the cache.
  const redis = new Redis(services.redisUrl);
  const p1Body = (id: string) => JSON.stringify({ query: P1_QUERY, variables: { id }, operationName: 'BenchP1' });
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids.slice(i, i + 100).map(async (id) => {
        const response = await fetch(`http://127.0.0.1:${guildhallPort}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: p1Body(id),
        });
        await redis.set(`bench:p1:${id}`, await response.text());
      }),
    );
  }
  await redis.quit();
  step('cache warmed and P1 bodies stored for the baseline');

  children.push(await startProcess(['test/bench/baseline-server.ts', 'p1', String(p1Port), services.redisUrl], {}, /ready/));
  children.push(await startProcess(['test/bench/baseline-server.ts', 'p2', String(p2Port), databaseUrl], {}, /ready/));

  const p2Body = JSON.stringify({ query: P2_QUERY, operationName: 'BenchP2' });
  const [ours, theirs] = await Promise.all(
    [guildhallPort, p2Port].map(async (port) =>
      (
        await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: p2Body })
      ).text(),
    ),
  );
  const p2Identical = ours === theirs;
  step(`P2 bodies byte-identical: ${p2Identical ? 'yes' : 'no'}`);

  const pick = zipfSampler(ids.length);
  const zipfBody = () => p1Body(ids[pick()]!);
  const results = {
    p1Baseline: await measure('P1 baseline (node:http + one Redis GET)', p1Port, zipfBody),
    p1: await measure('P1 guildhall: warm character(id), Zipf ids', guildhallPort, zipfBody, { pid: guildhall.pid!, operation: 'BenchP1' }),
    p2Baseline: await measure('P2 baseline (node:http + one json_agg statement)', p2Port, () => p2Body),
    p2: await measure('P2 guildhall: characters(first: 50), nested', guildhallPort, () => p2Body, {
      pid: guildhall.pid!,
      operation: 'BenchP2',
    }),
  };
  const p7 =
    process.env.BENCH_P7 === '0'
      ? null
      : await runP7({
          databaseUrl,
          redisUrl: services.redisUrl,
          guildhallPort,
          guildhallPid: guildhall.pid!,
          step,
          measure,
          freePort,
          startBaseline: async (mode, port, url) => {
            children.push(await startProcess(['test/bench/baseline-server.ts', mode, String(port), url], {}, /ready/));
          },
        });
  Object.assign(results, p7?.results);
  const ratios = {
    p1: results.p1.requestsPerSecond / results.p1Baseline.requestsPerSecond,
    p2: results.p2.requestsPerSecond / results.p2Baseline.requestsPerSecond,
    ...p7?.ratios,
  };

  console.log('\nworkload                                          req/s    p50 ms  p99 ms  SQL/req  RSS MB  errors');
  for (const r of Object.values(results)) {
    console.log(
      `${r.name.padEnd(48)} ${r.requestsPerSecond.toFixed(0).padStart(7)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ` +
        `${r.sqlPerRequest === undefined ? '      -' : r.sqlPerRequest.toFixed(2).padStart(7)} ${r.peakRssMb === undefined ? '     -' : r.peakRssMb.toFixed(0).padStart(6)}  ${r.errors + r.non2xx}`,
    );
  }
  console.log(`\nP1 ratio to its baseline: ${ratios.p1.toFixed(3)}x (goal >= 0.5x, 0 SQL/request)`);
  console.log(`P2 ratio to its baseline: ${ratios.p2.toFixed(3)}x (goal >= 0.7x, <= 2 SQL/request)`);
  if (p7) {
    const { board } = p7;
    console.log(`P7 around ratio to its baseline: ${p7.ratios.p7Around.toFixed(3)}x (goal >= 0.5x, p99 < 20 ms)`);
    console.log(
      `P7 board: ${board.players} players loaded in ${board.loadMs} ms (SQL), rebuilt in ${board.rebuildMs} ms; ` +
        `MEMORY USAGE ${(board.boardBytes / 1048576).toFixed(1)} MiB (used_memory +${(board.usedMemoryDelta / 1048576).toFixed(1)} MiB)`,
    );
  }
  console.log(`Peak server RSS: ${Math.max(results.p1.peakRssMb!, results.p2.peakRssMb!).toFixed(0)} MB (goal <= 150 MB)`);

  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      { duration: DURATION, connections: CONNECTIONS, p2BodiesIdentical: p2Identical, p7Board: p7?.board, results, ratios },
      null,
      2,
    ),
  );
  step(`results written to ${file}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  services.stop();
}
