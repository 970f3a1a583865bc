// npm run bench: measures Guildhall against bare node:http baselines in the same run.
// Starts throwaway PostgreSQL and Redis, loads the fixture, then runs each workload at
// 32 connections and prints requests/s, p50/p99 latency, SQL statements and Redis commands
// per request, server CPU ms per request, server RSS and the ratio to the baseline.
//   P1 warm character(id), Zipf ids    vs node:http + one Redis GET
//   P2 cold characters(first: 50)      vs node:http + one json_agg statement
//   P3 bondEssence on free slots       vs node:http + the same locked transaction (postgres.js)
//   P4 assignDrink in running games    vs node:http + the tavern's Lua script run directly
// Results go to bench-results/latest.json (and a timestamped copy; the folder is git-ignored).
// Baseline and Guildhall run alternately BENCH_ROUNDS times (default 3); medians count. Each
// side first runs BENCH_WARMUP seconds (default 3) that do not count.
// BENCH_DURATION (seconds per run, default 10), BENCH_CONNECTIONS (default 32) and
// BENCH_ONLY (e.g. P1,P3) override; BENCH_SERVER_ARGS passes node flags to the server.
// P7 (leaderboards on 1M players, test/bench/progress.ts) runs last; BENCH_P7=0 skips it.
import { spawn, execFileSync, execSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { sessionKey, SESSION_TTL_SECONDS } from '../../src/accounts/sessions.js';
import { connectPostgres, type Database } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { seedReferenceData } from '../../src/reference/seed.js';
import { characters } from '../../src/characters/tables.js';
import { drinksKey } from '../../src/tavern/tavern.js';
import { rssMb } from '../support/wait.js';
import { freePort, startThrowawayServices } from '../support/throwaway.js';
import { loadFixture } from './fixture.js';
import { P1_QUERY, P2_QUERY, P3_QUERY, P4_QUERY, zipfSampler } from './workloads.js';
import { runP7 } from './progress.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** P3 players (3 characters each, 4 free essence slots per character): enough slots for 2,400 bonds/s. */
const P3_PLAYERS = Number(process.env.BENCH_P3_PLAYERS ?? 200 * DURATION);
/** P4: this many two-player tavern games, drinks assigned round-robin across them. */
const P4_GAMES = 64;
const GOALS = { P1: 0.5, P2: 0.45, P3: 0.5, P4: 0.5, rssMb: 160 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * Seconds each side runs a workload, unmeasured, before its rounds: the code paths reach their
 * compiled form, and P4's players advance their drinks_assigned achievements to the target (the
 * same players drink in every round, so only the first drinks of each write to PostgreSQL).
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
/** BENCH_ONLY=P1,P3 runs only those workloads (P7 has its own switch, BENCH_P7). */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'P1,P2,P3,P4').split(',').map((name) => name.trim().toUpperCase()));
const METRICS_TOKEN = randomBytes(24).toString('base64url');
const log = createLogger('silent');
const step = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const CLOCK_TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

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

/** User plus system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function sqlStats(port: number, operation: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const value = (suffix: string) =>
    Number(text.match(new RegExp(`guildhall_sql_statements_per_operation_${suffix}\\{operation="${operation}"\\} ([\\d.e+]+)`))?.[1] ?? 0);
  return { sum: value('sum'), count: value('count') };
}

/** Commands Redis has run so far (INFO commandstats), not counting INFO itself, and its CPU time (INFO cpu). */
async function redisCounters(redis: Redis): Promise<{ commands: number; cpuMs: number }> {
  const text = await redis.info('commandstats');
  let commands = 0;
  for (const [, name, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (name !== 'info') commands += Number(calls);
  const cpu = await redis.info('cpu');
  const seconds = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { commands, cpuMs: (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1000 };
}

interface Measured {
  name: string;
  requestsPerSecond: number;
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  sqlPerRequest?: number;
  redisCommandsPerRequest?: number;
  /** Redis's own CPU time per request (it shares the machine's cores with the server). */
  redisCpuMsPerRequest?: number;
  cpuMsPerRequest?: number;
  peakRssMb?: number;
  /** With rounds: every round's req/s (this result is the median one). */
  roundsRps?: number[];
  /** With rounds: the warm-up run before them (not counted). */
  warmup?: Measured;
}

type BenchRequest = string | { body: string; headers?: Record<string, string> };
interface Watch {
  /** The serving process: its CPU time and peak RSS are measured. */
  pid: number;
  /** Guildhall's operation name, whose SQL statements /metrics counts. */
  operation?: string;
}

let benchRedis: Redis | undefined;

async function measure(name: string, port: number, body: () => BenchRequest, watch?: Watch, run: Run = ROUND): Promise<Measured> {
  const seconds = run.seconds;
  step(`${name}: ${seconds}s at ${CONNECTIONS} connections${run.warmup ? ' (warm-up, not counted)' : ''}`);
  let peakRss = watch ? rssMb(watch.pid) : 0;
  const sqlBefore = watch?.operation ? await sqlStats(port, watch.operation) : undefined;
  const redisBefore = await redisCounters(benchRedis!);
  const cpuBefore = watch ? cpuMs(watch.pid) : 0;
  const ticker = setInterval(() => {
    if (watch) peakRss = Math.max(peakRss, rssMb(watch.pid));
    process.stdout.write('.');
  }, 1000);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
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
  const requests = Math.max(1, result.requests.total);
  const measured: Measured = {
    name,
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
  const redisAfter = await redisCounters(benchRedis!);
  measured.redisCommandsPerRequest = (redisAfter.commands - redisBefore.commands) / requests;
  measured.redisCpuMsPerRequest = (redisAfter.cpuMs - redisBefore.cpuMs) / requests;
  if (watch) {
    measured.cpuMsPerRequest = (cpuMs(watch.pid) - cpuBefore) / requests;
    measured.peakRssMb = Math.max(peakRss, rssMb(watch.pid));
  }
  if (watch?.operation && sqlBefore) {
    // Statements executed during the run over requests answered (responses served from
    // the cache execute nothing and count as zero).
    const after = await sqlStats(port, watch.operation);
    measured.sqlPerRequest = (after.sum - sqlBefore.sum) / requests;
  }
  return measured;
}

/** P3's characters: `p3_<n>` players with 3 characters each and no essences (4 free slots each). */
async function loadP3Fixture(db: Database): Promise<void> {
  await db.execute(sql`
    insert into players (id, username, email, password_hash, created_at)
    select md5('p3_' || g)::uuid, 'p3_' || g, 'p3_' || g || '@bench.test', 'scrypt$not-a-real-hash', timestamptz '2026-01-01 00:00:00+00'
    from generate_series(1, ${P3_PLAYERS}::int) g`);
  await db.execute(sql`
    insert into characters (id, player_id, name, health, mana, stamina, created_at, updated_at)
    select md5('P3 ' || p.username || '-' || k)::uuid, p.id, 'P3 ' || p.username || '-' || k, 100, 100, 100,
           timestamptz '2025-01-01 00:00:00+00', timestamptz '2025-01-01 00:00:00+00'
    from players p, generate_series(1, 3) k
    where starts_with(p.username, 'p3_')`);
  await db.execute(sql`analyze`);
}

/** Puts P3's characters back as loaded: no essences, base attributes, no achievements. */
async function resetP3(db: Database): Promise<number> {
  const [{ bonds }] = (await db.execute(sql`
    select count(*)::int as bonds from character_essences e join characters c on c.id = e.character_id
    where starts_with(c.name, 'P3 ')`)) as unknown as [{ bonds: number }];
  await db.execute(sql`delete from character_essences where character_id in (select id from characters where starts_with(name, 'P3 '))`);
  await db.execute(sql`update characters set power = 10, speed = 10, spirit = 10, recovery = 10 where starts_with(name, 'P3 ')`);
  await db.execute(sql`delete from player_achievements where player_id in (select id from players where starts_with(username, 'p3_'))`);
  return bonds;
}

async function startSessions(redis: Redis, playerIds: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const pipeline = redis.pipeline();
  for (const id of playerIds) {
    const token = randomBytes(32).toString('base64url');
    tokens.set(id, token);
    pipeline.set(sessionKey(token), id, 'EX', SESSION_TTL_SECONDS);
  }
  await pipeline.exec();
  return tokens;
}

async function gqlAt(port: number, query: string, variables: unknown, token: string): Promise<Record<string, never>> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data: Record<string, never> };
  return result.data;
}

function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no']).toString().trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** A run of a workload: a round, or the warm-up before the rounds. */
interface Run {
  seconds: number;
  warmup: boolean;
}
const ROUND: Run = { seconds: DURATION, warmup: false };
/** One side of a workload, measured over a run. */
type Side = (run: Run) => Promise<Measured>;

/**
 * Warms each side up (WARMUP s, not counted), then runs the baseline and Guildhall alternately,
 * BENCH_ROUNDS times (default 3); each side is represented by its round of median req/s (with
 * the peak RSS of all its rounds).
 */
async function interleaved(baseline: Side, ours: Side): Promise<[Measured, Measured]> {
  const warmup: Run = { seconds: WARMUP, warmup: true };
  const warmups = WARMUP > 0 ? [await baseline(warmup), await ours(warmup)] : [];
  const runs: [Measured[], Measured[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    runs[0].push(await baseline(ROUND));
    runs[1].push(await ours(ROUND));
  }
  const median = (sides: Measured[]): Measured => {
    const middle = [...sides].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(sides.length / 2)]!;
    const peaks = sides.map((run) => run.peakRssMb ?? 0);
    return { ...middle, peakRssMb: Math.max(...peaks), roundsRps: sides.map((run) => Math.round(run.requestsPerSecond)) };
  };
  return [
    { ...median(runs[0]), warmup: warmups[0] },
    { ...median(runs[1]), warmup: warmups[1] },
  ];
}

/** A workload's line in latest.json: Guildhall's run against its baseline's. */
function workload(ours: Measured, theirs: Measured) {
  return {
    rps: Math.round(ours.requestsPerSecond),
    baselineRps: Math.round(theirs.requestsPerSecond),
    ratio: Number((ours.requestsPerSecond / theirs.requestsPerSecond).toFixed(3)),
    p50Ms: ours.p50,
    p99Ms: ours.p99,
    baselineP99Ms: theirs.p99,
    sqlPerRequest: Number((ours.sqlPerRequest ?? 0).toFixed(2)),
    redisCommandsPerRequest: Number((ours.redisCommandsPerRequest ?? 0).toFixed(2)),
    baselineRedisCommandsPerRequest: Number((theirs.redisCommandsPerRequest ?? 0).toFixed(2)),
    redisCpuMsPerRequest: Number((ours.redisCpuMsPerRequest ?? 0).toFixed(3)),
    baselineRedisCpuMsPerRequest: Number((theirs.redisCpuMsPerRequest ?? 0).toFixed(3)),
    cpuMsPerRequest: Number((ours.cpuMsPerRequest ?? 0).toFixed(3)),
    baselineCpuMsPerRequest: Number((theirs.cpuMsPerRequest ?? 0).toFixed(3)),
    peakRssMb: Math.round(ours.peakRssMb ?? 0),
    baselinePeakRssMb: Math.round(theirs.peakRssMb ?? 0),
    errors: ours.errors + ours.non2xx,
    baselineErrors: theirs.errors + theirs.non2xx,
    roundsRps: ours.roundsRps,
    baselineRoundsRps: theirs.roundsRps,
    // Not counted, but reported: for P4 this is when the players' achievements advance.
    warmup: ours.warmup && {
      rps: Math.round(ours.warmup.requestsPerSecond),
      baselineRps: Math.round(theirs.warmup?.requestsPerSecond ?? 0),
      sqlPerRequest: Number((ours.warmup.sqlPerRequest ?? 0).toFixed(2)),
      cpuMsPerRequest: Number((ours.warmup.cpuMsPerRequest ?? 0).toFixed(3)),
    },
  };
}

const children: ChildProcess[] = [];
const services = await startThrowawayServices();
try {
  step(`services up; creating the fixture (1,000 players, 3,000 characters; P3: ${P3_PLAYERS} players, ${3 * P3_PLAYERS} characters)`);
  const admin = await connectPostgres(services.postgresAdminUrl, { poolSize: 1, log });
  await admin.db.execute(sql.raw('CREATE DATABASE bench'));
  await admin.close();
  const databaseUrl = services.postgresAdminUrl.replace(/\/postgres$/, '/bench');
  const database = await connectPostgres(databaseUrl, { poolSize: 2, log });
  await database.migrate();
  await seedReferenceData(database.db, null, log);
  await loadFixture(database.db);
  await loadP3Fixture(database.db);
  const allCharacters = await database.db
    .select({ id: characters.id, name: characters.name, playerId: characters.playerId })
    .from(characters);
  const ids = allCharacters.filter((row) => row.name.startsWith('Hero ')).map((row) => row.id);
  // P3 bonds go to characters of different players in turn (k-major), so concurrent bonds rarely share a player lock.
  const p3Characters = allCharacters
    .filter((row) => row.name.startsWith('P3 '))
    .sort((a, b) => a.name.slice(-1).localeCompare(b.name.slice(-1)) || a.name.localeCompare(b.name));

  const [guildhallPort, p1Port, p2Port, p3Port, p4Port] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  // BENCH_SERVER_ARGS: node flags for the server that NODE_OPTIONS refuses (--cpu-prof, --heap-prof).
  const guildhall = await startProcess(
    [...(process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []), 'dist/src/main.js'],
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: services.redisUrl,
      PORT: String(guildhallPort),
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      METRICS_TOKEN,
      // The node flags `npm start` runs the server with, unless BENCH_SERVER_NODE_OPTIONS says otherwise.
      NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? startFlags(),
    },
    /Guildhall listening/,
  );
  children.push(guildhall);
  step(`guildhall up (pid ${guildhall.pid}), RSS ${rssMb(guildhall.pid!).toFixed(0)} MB`);

  // P1 bodies, exactly as Guildhall answers them, for the Redis baseline; this also warms the cache.
  const redis = new Redis(services.redisUrl);
  benchRedis = redis;
  const p1Body = (id: string) => JSON.stringify({ query: P1_QUERY, variables: { id }, operationName: 'BenchP1' });
  // Only P1 needs every body (BENCH_ONLY without P1 warms one, so a profile holds just the others).
  const warmed = ONLY.has('P1') ? ids : ids.slice(0, 1);
  for (let i = 0; i < warmed.length; i += 100) {
    await Promise.all(
      warmed.slice(i, i + 100).map(async (id) => {
        const response = await fetch(`http://127.0.0.1:${guildhallPort}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: p1Body(id),
        });
        await redis.set(`bench:p1:${id}`, await response.text());
      }),
    );
  }
  step('cache warmed and P1 bodies stored for the baseline');

  const baseline = async (mode: string, port: number, url: string) => {
    const child = await startProcess(['test/bench/baseline-server.ts', mode, String(port), url], {}, /ready/);
    children.push(child);
    return child.pid!;
  };
  const p1Pid = await baseline('p1', p1Port, services.redisUrl);
  const p2Pid = await baseline('p2', p2Port, databaseUrl);
  const p3Pid = await baseline('p3', p3Port, databaseUrl);
  const p4Pid = await baseline('p4', p4Port, services.redisUrl);

  const identical = async (port: number, body: string, other: number) => {
    const [ours, theirs] = await Promise.all(
      [port, other].map(async (at) =>
        (await fetch(`http://127.0.0.1:${at}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text(),
      ),
    );
    return ours === theirs;
  };
  const p2Body = JSON.stringify({ query: P2_QUERY, operationName: 'BenchP2' });
  const p1Identical = await identical(guildhallPort, p1Body(ids[0]!), p1Port);
  const p2Identical = await identical(guildhallPort, p2Body, p2Port);
  step(`bodies byte-identical to the baselines': P1 ${p1Identical ? 'yes' : 'no'}, P2 ${p2Identical ? 'yes' : 'no'}`);

  // P3: sessions for its players; each request bonds the next free (character, essence) pair.
  const p3Tokens = await startSessions(redis, [...new Set(p3Characters.map((c) => c.playerId))]);
  const ESSENCES = ['fire', 'water', 'earth', 'wind'];
  const p3Requests = (withToken: boolean) => {
    let next = 0;
    return () => {
      const character = p3Characters[next % p3Characters.length]!;
      const essenceType = ESSENCES[Math.floor(next / p3Characters.length) % ESSENCES.length]!;
      next++;
      const body = JSON.stringify({
        query: P3_QUERY,
        operationName: 'BenchP3',
        variables: { input: { characterId: character.id, essenceType, attribute: 'POWER' } },
      });
      const headers: Record<string, string> = withToken ? { authorization: `Bearer ${p3Tokens.get(character.playerId)}` } : {};
      return { body, headers };
    };
  };

  // P4: two-player games started and joined through Guildhall; drinks go round-robin, both ways.
  const p4Players = [...new Set(allCharacters.filter((row) => row.name.startsWith('Hero ')).map((row) => row.playerId))].slice(
    0,
    2 * P4_GAMES,
  );
  const p4Tokens = await startSessions(redis, p4Players);
  const games: Array<{ id: string; players: [string, string] }> = [];
  for (let i = 0; i < P4_GAMES; i++) {
    const players: [string, string] = [p4Players[2 * i]!, p4Players[2 * i + 1]!];
    const started = await gqlAt(
      guildhallPort,
      'mutation($c: String!) { startTavernGame(channelId: $c) { ... on TavernGamePayload { game { id } } } }',
      { c: `bench-${i}` },
      p4Tokens.get(players[0])!,
    );
    const id = (started.startTavernGame as unknown as { game: { id: string } }).game.id;
    await gqlAt(guildhallPort, 'mutation($g: ID!) { joinTavernGame(gameId: $g) { __typename } }', { g: id }, p4Tokens.get(players[1])!);
    games.push({ id, players });
  }
  const drinks = async () => (await Promise.all(games.map((game) => redis.zcard(drinksKey(game.id))))).reduce((a, b) => a + b, 0);
  const p4Requests = (auth: 'token' | 'header') => {
    let next = 0;
    return () => {
      const game = games[next % games.length]!;
      const [from, to] = Math.floor(next / games.length) % 2 === 0 ? game.players : [game.players[1], game.players[0]];
      next++;
      const body = JSON.stringify({ query: P4_QUERY, operationName: 'BenchP4', variables: { input: { gameId: game.id, toPlayerId: to } } });
      const headers: Record<string, string> =
        auth === 'token' ? { authorization: `Bearer ${p4Tokens.get(from)}` } : { 'x-player-id': from };
      return { body, headers };
    };
  };
  step(`P3: ${p3Characters.length} characters with 4 free slots each; P4: ${games.length} games running`);

  const pick = zipfSampler(ids.length);
  const zipfBody = () => p1Body(ids[pick()]!);
  const guildhallWatch = (operation: string) => ({ pid: guildhall.pid!, operation });
  const results: Record<string, Measured> = {};
  const summary: Record<string, ReturnType<typeof workload> & { goal: number; [detail: string]: unknown }> = {};
  if (ONLY.has('P1')) {
    const [theirs, ours] = await interleaved(
      (run) => measure('P1 baseline (node:http + one Redis GET)', p1Port, zipfBody, { pid: p1Pid }, run),
      (run) => measure('P1 guildhall: warm character(id), Zipf ids', guildhallPort, zipfBody, guildhallWatch('BenchP1'), run),
    );
    Object.assign(results, { p1Baseline: theirs, p1: ours });
    summary.P1 = { ...workload(ours, theirs), goal: GOALS.P1, bodiesIdentical: p1Identical };
  }
  if (ONLY.has('P2')) {
    const [theirs, ours] = await interleaved(
      (run) => measure('P2 baseline (node:http + one json_agg statement)', p2Port, () => p2Body, { pid: p2Pid }, run),
      (run) => measure('P2 guildhall: characters(first: 50), nested', guildhallPort, () => p2Body, guildhallWatch('BenchP2'), run),
    );
    Object.assign(results, { p2Baseline: theirs, p2: ours });
    summary.P2 = { ...workload(ours, theirs), goal: GOALS.P2, bodiesIdentical: p2Identical };
  }
  // Every write answered must have been made (a refusal is a 200 with an error in the union).
  if (ONLY.has('P3')) {
    const writes = { ours: { answered: 0, bonds: 0 }, baseline: { answered: 0, bonds: 0 } };
    const counted = (side: keyof typeof writes) => async (measured: Measured) => {
      // Requests still in flight when the run stopped finish first: the next run bonds the same slots.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      writes[side].answered += measured.requests;
      writes[side].bonds += await resetP3(database.db);
      return measured;
    };
    const [theirs, ours] = await interleaved(
      (run) =>
        measure('P3 baseline (node:http + the bond transaction)', p3Port, p3Requests(false), { pid: p3Pid }, run).then(counted('baseline')),
      (run) =>
        measure('P3 guildhall: bondEssence, free slots', guildhallPort, p3Requests(true), guildhallWatch('BenchP3'), run).then(
          counted('ours'),
        ),
    );
    Object.assign(results, { p3Baseline: theirs, p3: ours });
    step(
      `P3 bonds made / requests answered: ${writes.ours.bonds}/${writes.ours.answered} (baseline ${writes.baseline.bonds}/${writes.baseline.answered})`,
    );
    summary.P3 = { ...workload(ours, theirs), goal: GOALS.P3, writes };
  }
  if (ONLY.has('P4')) {
    const writes = { ours: { answered: 0, drinks: 0 }, baseline: { answered: 0, drinks: 0 } };
    const counted = (side: keyof typeof writes, measureSide: Side) => async (run: Run) => {
      const before = await drinks();
      const measured = await measureSide(run);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      writes[side].answered += measured.requests;
      writes[side].drinks += (await drinks()) - before;
      return measured;
    };
    const [theirs, ours] = await interleaved(
      counted('baseline', (run) =>
        measure('P4 baseline (node:http + GET + the ASSIGN script)', p4Port, p4Requests('header'), { pid: p4Pid }, run),
      ),
      counted('ours', (run) =>
        measure('P4 guildhall: assignDrink, 64 running games', guildhallPort, p4Requests('token'), guildhallWatch('BenchP4'), run),
      ),
    );
    Object.assign(results, { p4Baseline: theirs, p4: ours });
    step(
      `P4 drinks made / requests answered: ${writes.ours.drinks}/${writes.ours.answered} (baseline ${writes.baseline.drinks}/${writes.baseline.answered})`,
    );
    summary.P4 = { ...workload(ours, theirs), goal: GOALS.P4, writes };
  }
  await database.close();

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
            await baseline(mode, port, url);
          },
        });
  Object.assign(results, p7?.results);

  const peakRss = Math.max(0, ...Object.values(summary).map((w) => w.peakRssMb));

  const cell = (value: number | undefined, digits: number, width: number) =>
    (value === undefined ? '-' : value.toFixed(digits)).padStart(width);
  console.log(
    `\n${'workload'.padEnd(52)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'SQL/req'.padStart(8)} ` +
      `${'Redis/req'.padStart(9)} ${'CPU ms/req'.padStart(10)} ${'Redis CPU'.padStart(9)} ${'RSS MB'.padStart(7)} errors`,
  );
  for (const r of Object.values(results)) {
    console.log(
      `${r.name.padEnd(52)} ${cell(r.requestsPerSecond, 0, 7)} ${cell(r.p50, 0, 7)} ${cell(r.p99, 0, 7)} ${cell(r.sqlPerRequest, 2, 8)} ` +
        `${cell(r.redisCommandsPerRequest, 2, 9)} ${cell(r.cpuMsPerRequest, 3, 10)} ${cell(r.redisCpuMsPerRequest, 3, 9)} ` +
        `${cell(r.peakRssMb, 0, 7)} ${r.errors + r.non2xx}`,
    );
  }
  console.log(`\n${'ratio to the baseline'.padEnd(24)} ${'ratio'.padStart(7)} ${'goal'.padStart(6)}  met   CPU ms/req (ours / baseline)`);
  for (const [key, w] of Object.entries(summary)) {
    console.log(
      `${key.padEnd(24)} ${w.ratio.toFixed(3).padStart(7)} ${w.goal.toFixed(2).padStart(6)}  ${w.ratio >= w.goal ? 'yes' : 'NO '}   ` +
        `${w.cpuMsPerRequest.toFixed(3)} / ${w.baselineCpuMsPerRequest.toFixed(3)}`,
    );
  }
  console.log(`\n${'rounds, req/s'.padEnd(24)} ours / baseline; warm-up (not counted): ours, SQL/req, CPU ms/req / baseline`);
  for (const [key, w] of Object.entries(summary)) {
    const warm = w.warmup
      ? `${w.warmup.rps}, ${w.warmup.sqlPerRequest.toFixed(2)}, ${w.warmup.cpuMsPerRequest.toFixed(3)} / ${w.warmup.baselineRps}`
      : '-';
    console.log(`${key.padEnd(24)} ${w.roundsRps?.join(' ')} / ${w.baselineRoundsRps?.join(' ')}; ${warm}`);
  }
  // The goal is the peak under the P2 load (issue #18); the whole run's peak (the writes') is printed beside it.
  const p2Rss = summary.P2?.peakRssMb;
  if (p2Rss !== undefined) {
    console.log(
      `${'peak RSS under P2 (MB)'.padEnd(24)} ${String(p2Rss).padStart(7)} ${String(GOALS.rssMb).padStart(6)}  ${p2Rss <= GOALS.rssMb ? 'yes' : 'NO '}`,
    );
  }
  console.log(`${'peak RSS, whole run (MB)'.padEnd(24)} ${String(peakRss).padStart(7)}`);
  if (p7) {
    const { board } = p7;
    console.log(`P7 around ratio to its baseline: ${p7.ratios.p7Around.toFixed(3)}x (goal >= 0.5x, p99 < 20 ms)`);
    console.log(
      `P7 board: ${board.players} players loaded in ${board.loadMs} ms (SQL), rebuilt in ${board.rebuildMs} ms; ` +
        `MEMORY USAGE ${(board.boardBytes / 1048576).toFixed(1)} MiB (used_memory +${(board.usedMemoryDelta / 1048576).toFixed(1)} MiB)`,
    );
  }

  const latest = {
    commit: commitOf(),
    node: process.version,
    duration: DURATION,
    connections: CONNECTIONS,
    ...summary,
    peakRssMb: peakRss,
    ...(p2Rss !== undefined ? { p2PeakRssMb: p2Rss } : {}),
    ...(p7 ? { P7: { board: p7.board, ratios: p7.ratios, results: p7.results } } : {}),
    results,
  };
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(latest, null, 2));
  writeFileSync('bench-results/latest.json', JSON.stringify(latest, null, 2));
  step(`results written to bench-results/latest.json and ${file}`);
} finally {
  await benchRedis?.quit().catch(() => undefined);
  for (const child of children) child.kill('SIGTERM');
  services.stop();
}
