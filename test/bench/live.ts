// npm run bench:live — benchmark P9 (issue 16): live-state updates written behind vs
// synchronously, and world export/import at scale. Starts throwaway PostgreSQL and Redis.
//  1. Loads the bench fixture and signs in the owners of 1,000 characters.
//  2. For the synchronous baseline (the code before write-behind, taken from git and built)
//     and for this build: 32 connections send updateCharacterState for random characters
//     for BENCH_DURATION s, after one warm-up update per character; reports accepted
//     updates/s and SQL statements per update (the server's own counts from /metrics: the
//     statements of the requests, plus the flush statements once the last states are written).
//  3. Scales the fixture to BENCH_WORLD_CHARACTERS (100,000) characters and times
//     world:export and world:import (into an empty database) with their peak RSS.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { connectPostgres } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { seedReferenceData } from '../../src/reference/seed.js';
import { startThrowawayServices } from '../support/throwaway.js';
import { loadFixture } from './fixture.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WORLD_CHARACTERS = Number(process.env.BENCH_WORLD_CHARACTERS ?? 100_000);
const log = createLogger('silent');
const step = (message: string) => console.log(`[bench:live ${new Date().toISOString().slice(11, 19)}] ${message}`);
const rows = <T>(result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];

const UPDATE = `mutation LiveUpdate($input: CharacterStateInput!) {
  updateCharacterState(input: $input) { __typename ... on UpdateCharacterStatePayload { character { id health mana stamina currentRoomId } } ... on Error { code } }
}`;

/** The last commit whose updateCharacterState was synchronous, built into a temporary folder. */
function buildSynchronousBaseline(): string {
  const deleting = execFileSync('git', ['log', '-1', '--format=%H', '--diff-filter=D', '--', 'src/characters/state.ts'], {
    encoding: 'utf8',
  }).trim();
  const commit = process.env.BENCH_LIVE_BASELINE ?? `${deleting}^`;
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-sync-'));
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C ${dir}`]);
  symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir });
  step(`synchronous baseline: ${execFileSync('git', ['log', '-1', '--format=%h %s', commit], { encoding: 'utf8' }).trim().slice(0, 90)}`);
  return dir;
}

function startServer(root: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, 'dist/src/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg.startsWith('Guildhall listening')) resolve({ child, port: entry.port! });
    });
  });
}

async function stop(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const services = await startThrowawayServices();
const children: ChildProcess[] = [];
try {
  const baselineRoot = buildSynchronousBaseline();
  const admin = await connectPostgres(services.postgresAdminUrl, { poolSize: 1, log });
  for (const name of ['bench_sync', 'bench_live', 'world_source', 'world_target'])
    await admin.db.execute(sql.raw(`create database ${name}`));
  const urlOf = (name: string) => services.postgresAdminUrl.replace(/\/postgres$/, `/${name}`);
  const statementsSoFar = async (port: number) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (pattern: string) => Number(text.match(new RegExp(`${pattern} ([\\d.e+]+)`))?.[1] ?? 0);
    return (
      value('guildhall_sql_statements_per_operation_sum\\{operation="LiveUpdate"\\}') + value('guildhall_live_state_flush_statements_total')
    );
  };

  const results: Record<string, unknown> = {};
  for (const [mode, root] of [
    ['synchronous', baselineRoot],
    ['write-behind', process.cwd()],
  ] as const) {
    const dbName = mode === 'synchronous' ? 'bench_sync' : 'bench_live';
    const database = await connectPostgres(urlOf(dbName), { poolSize: 2, log });
    await database.migrate();
    await seedReferenceData(database.db, null, log);
    await loadFixture(database.db);
    const owned = rows<{ id: string; player_id: string }>(
      await database.db.execute(sql`select id, player_id from characters order by id limit 1000`),
    );
    const redis = new Redis(services.redisUrl);
    await redis.flushall();
    const tokens = new Map<string, string>();
    for (const { player_id } of owned) {
      if (tokens.has(player_id)) continue;
      const token = randomBytes(32).toString('base64url');
      await redis.set(`session:${token}`, player_id, 'EX', 3600);
      tokens.set(player_id, token);
    }
    const server = await startServer(root, { DATABASE_URL: urlOf(dbName), REDIS_URL: services.redisUrl });
    children.push(server.child);
    const request = () => {
      const target = owned[Math.floor(Math.random() * owned.length)]!;
      const input = {
        characterId: target.id,
        health: Math.floor(Math.random() * 100),
        mana: 50,
        currentRoomId: `room_${Math.floor(Math.random() * 50)}`,
      };
      return {
        body: JSON.stringify({ query: UPDATE, variables: { input }, operationName: 'LiveUpdate' }),
        token: tokens.get(target.player_id)!,
      };
    };
    const sample = request();
    const answer = await (
      await fetch(`http://127.0.0.1:${server.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sample.token}` },
        body: sample.body,
      })
    ).json();
    if (answer.data?.updateCharacterState?.__typename !== 'UpdateCharacterStatePayload')
      throw new Error(`sanity request failed: ${JSON.stringify(answer)}`);
    step(`${mode}: warm-up, one update per character`);
    for (let i = 0; i < owned.length; i += 8) {
      await Promise.all(
        owned.slice(i, i + 8).map((c) =>
          fetch(`http://127.0.0.1:${server.port}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(c.player_id)}` },
            body: JSON.stringify({ query: UPDATE, variables: { input: { characterId: c.id, health: 1 } }, operationName: 'LiveUpdate' }),
          }).then((r) => r.text()),
        ),
      );
    }
    const before = await statementsSoFar(server.port);
    step(`${mode}: ${DURATION}s at ${CONNECTIONS} connections over ${owned.length} characters`);
    const run = await autocannon({
      url: `http://127.0.0.1:${server.port}`,
      connections: CONNECTIONS,
      duration: DURATION,
      requests: [
        {
          method: 'POST',
          path: '/graphql',
          setupRequest: (req) => {
            const { body, token } = request();
            return { ...req, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } };
          },
        },
      ],
    });
    // Write-behind: the last states are flushed after the quiet period (2 s); count those statements too.
    await new Promise((resolve) => setTimeout(resolve, mode === 'write-behind' ? 3500 : 500));
    const statements = (await statementsSoFar(server.port)) - before;
    const accepted = run['2xx'];
    results[mode] = {
      requestsPerSecond: run.requests.average,
      accepted,
      non2xx: run.non2xx,
      errors: run.errors,
      p50: run.latency.p50,
      p99: run.latency.p99,
      statements,
      statementsPerUpdate: statements / accepted,
    };
    step(
      `${mode}: ${run.requests.average} updates/s, p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms, ${(statements / accepted).toFixed(4)} SQL statements per update (${run.non2xx} non-2xx, ${run.errors} errors)`,
    );
    await stop(server.child);
    await redis.quit();
    await database.close();
  }
  const sync = results.synchronous as { requestsPerSecond: number };
  const live = results['write-behind'] as { requestsPerSecond: number; statementsPerUpdate: number };
  const ratio = live.requestsPerSecond / sync.requestsPerSecond;
  console.log(
    `\nP9 write-behind / synchronous: ${ratio.toFixed(2)}x (goal >= 5x); statements per accepted update ${live.statementsPerUpdate.toFixed(4)} (goal <= 0.05)`,
  );

  // World export and import at scale (BENCH_WORLD_CHARACTERS=0 skips it).
  if (WORLD_CHARACTERS > 0) {
    const source = await connectPostgres(urlOf('world_source'), { poolSize: 2, log });
    await source.migrate();
    await seedReferenceData(source.db, null, log);
    const scale = Math.ceil(WORLD_CHARACTERS / 3000);
    step(`world: loading the fixture ${scale} times (${scale * 3000} characters)`);
    for (let i = 0; i < scale; i++) await loadFixture(source.db, `w${i}_`);
    await source.close();
    const target = await connectPostgres(urlOf('world_target'), { poolSize: 1, log });
    await target.migrate();
    await seedReferenceData(target.db, null, log);
    await target.close();
    mkdirSync('bench-results', { recursive: true });
    const file = join(mkdtempSync(join(tmpdir(), 'guildhall-world-')), 'world.json');
    const cli = (command: string, dbName: string) =>
      new Promise<{ ms: number; peakRssMb: number }>((resolve, reject) => {
        const started = performance.now();
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/world/world-cli.ts', command, file], {
          env: { ...process.env, DATABASE_URL: urlOf(dbName), REDIS_URL: services.redisUrl, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        let peak = 0;
        const ticker = setInterval(() => {
          try {
            const match = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
            if (match) peak = Math.max(peak, Number(match[1]) / 1024);
          } catch {}
        }, 100);
        child.once('exit', (code) => {
          clearInterval(ticker);
          if (code === 0) resolve({ ms: performance.now() - started, peakRssMb: peak });
          else reject(new Error(`world:${command} exited with ${code}`));
        });
      });
    step('world: export');
    const exported = await cli('export', 'world_source');
    const bytes = statSync(file).size;
    step(
      `world: export ${(exported.ms / 1000).toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(0)} MiB, peak RSS ${exported.peakRssMb.toFixed(0)} MiB`,
    );
    const imported = await cli('import', 'world_target');
    step(`world: import ${(imported.ms / 1000).toFixed(1)} s, peak RSS ${imported.peakRssMb.toFixed(0)} MiB`);
    results.world = { characters: scale * 3000, bytes, export: exported, import: imported };
    rmSync(file, { force: true });
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    `bench-results/live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    JSON.stringify({ duration: DURATION, connections: CONNECTIONS, results, ratio }, null, 2),
  );
  await admin.close();
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  services.stop();
}
process.exit(0);
