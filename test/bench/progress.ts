// P7: leaderboards on a board of 1,000,000 players. Loads players and their best scores
// with set-based SQL, rebuilds `leaderboard:global` with the pipelined rebuild the server
// uses, then measures top(100) and around(radius: 5) (against a bare node:http server
// doing one ZREVRANK + ZREVRANGE) and submitGameResult throughput.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { GLOBAL_BOARD_KEY } from '../../src/cache/keys.js';
import { sessionKey, SESSION_TTL_SECONDS } from '../../src/accounts/sessions.js';
import { connectPostgres } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { globalBoard, rebuildBoard } from '../../src/progress/leaderboards.js';
import { zipfSampler } from './workloads.js';

export const P7_PLAYERS = Number(process.env.BENCH_P7_PLAYERS ?? 1_000_000);

export const P7_TOP_QUERY = `query BenchP7Top {
  leaderboard(period: ALL_TIME) { top(first: 100) { rank score player { id } } }
}`;
export const P7_AROUND_QUERY = `query BenchP7Around($playerId: ID!) {
  leaderboard(period: ALL_TIME) { around(playerId: $playerId, radius: 5) { rank score player { id } } }
}`;
const P7_SUBMIT_QUERY = `mutation BenchP7Submit($input: SubmitGameResultInput!) {
  submitGameResult(input: $input) { __typename ... on GameResultPayload { allTimeRank } }
}`;

type Request = { body: string; headers?: Record<string, string> };
interface Measured {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}
export interface P7Deps {
  databaseUrl: string;
  redisUrl: string;
  guildhallPort: number;
  guildhallPid: number;
  step(message: string): void;
  measure(name: string, port: number, request: () => Request, watch?: { pid: number; operation: string }): Promise<Measured>;
  startBaseline(mode: string, port: number, url: string): Promise<void>;
  freePort(): Promise<number>;
}

/** 1M players and their bests, in two statements; reached_at spreads over a day so ties are common. */
async function loadBoardRows(databaseUrl: string): Promise<number> {
  const database = await connectPostgres(databaseUrl, { poolSize: 1, log: createLogger('silent') });
  const started = Date.now();
  await database.db.execute(sql`
    insert into players (username, email, password_hash)
    select 'p7_' || g, 'p7_' || g || '@bench.test', 'scrypt$not-a-real-hash' from generate_series(1, ${P7_PLAYERS}) g`);
  await database.db.execute(sql`
    insert into player_best_scores (player_id, best_score, reached_at)
    select id, (hashtext(id::text) & 2147483647) % 5000000,
           timestamptz '2026-11-01 00:00:00+00' + ((hashtext(username) & 2147483647) % 86400) * interval '1 second'
    from players where username like 'p7\\_%'`);
  await database.db.execute(sql`analyze`);
  await database.close();
  return Date.now() - started;
}

export async function runP7(deps: P7Deps) {
  deps.step(`P7: loading ${P7_PLAYERS.toLocaleString('en')} players and their best scores (set-based SQL)`);
  const loadMs = await loadBoardRows(deps.databaseUrl);
  const redis = new Redis(deps.redisUrl);
  const database = await connectPostgres(deps.databaseUrl, { poolSize: 2, log: createLogger('silent') });
  const memoryBefore = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
  await redis.del(GLOBAL_BOARD_KEY);
  const rebuildStarted = Date.now();
  const rebuilt = await rebuildBoard({ db: database.db, redis, log: createLogger('silent') }, globalBoard());
  const rebuildMs = Date.now() - rebuildStarted;
  const memoryAfter = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
  const boardBytes = Number(await redis.call('MEMORY', 'USAGE', GLOBAL_BOARD_KEY, 'SAMPLES', '0'));
  deps.step(`P7: board rebuilt: ${rebuilt} members in ${rebuildMs} ms; MEMORY USAGE ${(boardBytes / 1048576).toFixed(1)} MiB`);

  // Players to ask about: every rank, Zipf-weighted towards a few thousand ids.
  const ids = (await redis.zrange(GLOBAL_BOARD_KEY, 0, -1)).filter((_, i) => i % 100 === 0);
  const pick = zipfSampler(ids.length);
  // Sessions for 256 players, written as login would.
  const tokens: string[] = [];
  const sessions = redis.pipeline();
  for (const id of ids.slice(0, 256)) {
    const token = randomBytes(32).toString('base64url');
    tokens.push(token);
    sessions.set(sessionKey(token), id, 'EX', SESSION_TTL_SECONDS);
  }
  await sessions.exec();

  const baselinePort = await deps.freePort();
  await deps.startBaseline('p7', baselinePort, deps.redisUrl);
  const aroundBody = () => JSON.stringify({ query: P7_AROUND_QUERY, variables: { playerId: ids[pick()] }, operationName: 'BenchP7Around' });
  const sample = JSON.stringify({ query: P7_AROUND_QUERY, variables: { playerId: ids[5] }, operationName: 'BenchP7Around' });
  const [ours, theirs] = await Promise.all(
    [deps.guildhallPort, baselinePort].map(async (port) =>
      (
        await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sample })
      ).text(),
    ),
  );
  const aroundIdentical = ours === theirs;
  deps.step(`P7 around bodies byte-identical: ${aroundIdentical ? 'yes' : 'no'}`);

  const watch = (operation: string) => ({ pid: deps.guildhallPid, operation });
  const topBody = JSON.stringify({ query: P7_TOP_QUERY, operationName: 'BenchP7Top' });
  const results = {
    p7Top: await deps.measure(
      'P7 guildhall: top(first: 100), 1M board',
      deps.guildhallPort,
      () => ({ body: topBody }),
      watch('BenchP7Top'),
    ),
    p7AroundBaseline: await deps.measure('P7 baseline (node:http + ZREVRANK + ZREVRANGE)', baselinePort, () => ({ body: aroundBody() })),
    p7Around: await deps.measure(
      'P7 guildhall: around(radius: 5), 1M board',
      deps.guildhallPort,
      () => ({ body: aroundBody() }),
      watch('BenchP7Around'),
    ),
    p7Submit: await deps.measure(
      'P7 guildhall: submitGameResult',
      deps.guildhallPort,
      () => ({
        body: JSON.stringify({
          query: P7_SUBMIT_QUERY,
          operationName: 'BenchP7Submit',
          variables: {
            input: {
              score: Math.floor(Math.random() * 5_000_000),
              floorReached: 1 + Math.floor(Math.random() * 20),
              durationSeconds: 600,
              victory: true,
              kills: [{ enemyId: 'cave_goblin', count: 3 }],
            },
          },
        }),
        headers: { authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` },
      }),
      watch('BenchP7Submit'),
    ),
  };
  await redis.quit();
  await database.close();
  const board = { players: rebuilt, loadMs, rebuildMs, boardBytes, usedMemoryDelta: memoryAfter - memoryBefore, aroundIdentical };
  return { board, results, ratios: { p7Around: results.p7Around.requestsPerSecond / results.p7AroundBaseline.requestsPerSecond } };
}
