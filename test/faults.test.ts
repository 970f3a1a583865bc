// Issue #13: a server process under load while PostgreSQL restarts, Redis goes away and SIGTERM
// arrives. Each test breaks its own PostgreSQL and Redis (startThrowawayServices), never the
// suite's shared ones.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, countByOutcome, type LoadPlayer, makePlayer, startLoad, timeUntilOk } from './support/fault-load.js';
import { type ServerProcess, spawnServer } from './support/process.js';
import { startThrowawayServices, type ThrowawayServices } from './support/throwaway.js';
import { waitUntil } from './support/wait.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scores of the game results PostgreSQL holds for these players. */
async function storedScores(services: ThrowawayServices, players: LoadPlayer[]): Promise<Set<number>> {
  const sql = postgres(services.postgresAdminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ score: number }[]>`select score from game_results where player_id in ${sql(players.map((p) => p.id))}`;
    return new Set(rows.map((row) => row.score));
  } finally {
    await sql.end();
  }
}

/** Every acknowledged write is stored and no refused one is. */
async function expectWritesExactly(services: ThrowawayServices, players: LoadPlayer[], answers: Answer[]) {
  const stored = await storedScores(services, players);
  const writes = answers.filter((answer) => answer.kind === 'write');
  const acknowledged = writes.filter((answer) => answer.outcome === 'ok').map((answer) => answer.score!);
  const refused = writes.filter((answer) => answer.outcome !== 'ok').map((answer) => answer.score!);
  expect(acknowledged.filter((score) => !stored.has(score))).toEqual([]);
  expect(refused.filter((score) => stored.has(score))).toEqual([]);
  return { acknowledged: acknowledged.length, refused: refused.length };
}

/** Answers a client could not act on, described briefly (so a failure shows what they were). */
const untyped = (answers: Answer[]) => described(answers.filter((answer) => answer.outcome === 'untyped' || answer.outcome === 'network'));
const described = (answers: Answer[]) =>
  answers.map((a) => `${a.kind} ${a.outcome} ${Math.round(a.endedAt - a.startedAt)}ms ${a.detail ?? ''}`);

/** Waits until a write that started after `since` succeeded (at most 6 s), then lets the load run on a little. */
async function untilWriteSucceeds(answers: Answer[], since: number) {
  await waitUntil(
    () => answers.some((answer) => answer.kind === 'write' && answer.outcome === 'ok' && answer.startedAt >= since),
    'a write to succeed',
    6_000,
  ).catch(() => undefined);
  await sleep(500);
}

async function startLoadedServer(services: ThrowawayServices) {
  const server = await spawnServer({ DATABASE_URL: services.postgresAdminUrl, REDIS_URL: services.redisUrl });
  const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => makePlayer(server.url, `writer${i}`)));
  const readOnly = await Promise.all(Array.from({ length: 2 }, (_, i) => makePlayer(server.url, `shown${i}`)));
  return { server, writers, readTargets: readOnly.map((player) => player.characterId) };
}

describe('faults', () => {
  let services: ThrowawayServices;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    services = await startThrowawayServices();
  }, 60_000);
  afterAll(() => {
    server?.child.kill('SIGKILL');
    services?.stop();
  });

  // patches/postgres+3.4.9.patch: without it, the first or second restart ends this process with
  // "Cannot read properties of null (reading 'write') at Immediate.nextWrite".
  it('postgres.js survives transactions cut by fast restarts: each fails with a connection error or commits', async () => {
    const sql = postgres(services.postgresAdminUrl, { max: 10, onnotice: () => {}, backoff: () => 0.1 });
    await sql`create table if not exists restart_probe (id serial primary key)`;
    let running = true;
    const outcomes = new Map<string, number>();
    const worker = async () => {
      while (running) {
        const outcome = await sql
          .begin(async (tx) => {
            await tx`insert into restart_probe default values`;
            await tx`select pg_sleep(0.001)`;
            await tx`select count(*) from restart_probe`;
          })
          .then(
            () => 'committed',
            (error: { code?: string }) => error.code ?? 'unknown',
          );
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome !== 'committed') await sleep(5);
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      await services.restartPostgres();
    }
    await sleep(500);
    running = false;
    await Promise.all(workers);
    await sql.end();
    expect(outcomes.get('committed')).toBeGreaterThan(0);
    expect(outcomes.get('unknown')).toBeUndefined();
  }, 60_000);

  it('PostgreSQL restarted and then down under reads and writes: no crash, only typed answers within 2 s, cached reads served, /ready 503 while down, recovery within 5 s, acknowledged writes stored and refused ones not', async () => {
    const started = await startLoadedServer(services);
    server = started.server;
    const readyUrl = server.url.replace('/graphql', '/ready');
    // Warm the character cache the readers use.
    for (const id of started.readTargets)
      await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ character(id: "${id}") { __typename id name rank attributes { power speed } player { username } } }`,
        }),
      });

    const load = startLoad(server.url, started.writers, started.readTargets, 8);
    const loadAt = performance.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what} ${Math.round(performance.now() - loadAt)}`);
    await sleep(800);
    // The fast restart ends every backend, as in the reported crash; twice, then an outage.
    mark('restart');
    await services.restartPostgres();
    mark('up');
    await sleep(400);
    mark('restart');
    await services.restartPostgres();
    mark('up');
    await sleep(400);
    mark('stop');
    await services.stopPostgres();
    mark('down');
    const downAt = performance.now();
    await sleep(1_500);
    const readyWhileDown = (await fetch(readyUrl)).status;
    mark('start');
    // pg_ctl returns some time after PostgreSQL accepts connections: "down" ends when starting it begins.
    const startingAt = performance.now();
    await services.startPostgres();
    mark('up');
    const backAt = performance.now();
    const readyAfterMs = await timeUntilOk(readyUrl);
    await untilWriteSucceeds(load.answers, backAt);
    const answers = await load.stop();
    console.log(`faults: PostgreSQL events (ms after the load began): ${marks.join(', ')}`);

    expect(server.child.exitCode).toBeNull();
    expect(untyped(answers)).toEqual([]);
    expect(readyWhileDown).toBe(503);
    const whileDown = answers.filter((answer) => answer.startedAt >= downAt && answer.endedAt <= startingAt);
    expect(whileDown.filter((answer) => answer.kind === 'write').length).toBeGreaterThan(0);
    expect(described(whileDown.filter((answer) => answer.kind === 'write' && answer.outcome === 'ok'))).toEqual([]);
    // Refusals come quickly: nothing waits on a PostgreSQL that is not there.
    const refusals = answers.filter((answer) => answer.outcome !== 'ok');
    const slowest = Math.max(...refusals.map((answer) => answer.endedAt - answer.startedAt));
    expect(described(refusals.filter((answer) => answer.endedAt - answer.startedAt >= 2_000))).toEqual([]);
    // Cached reads never needed PostgreSQL.
    const readsWhileDown = whileDown.filter((answer) => answer.kind === 'read');
    expect(readsWhileDown.length).toBeGreaterThan(0);
    expect(described(readsWhileDown.filter((answer) => answer.outcome !== 'ok'))).toEqual([]);
    const firstWriteBack = answers.find((answer) => answer.kind === 'write' && answer.outcome === 'ok' && answer.startedAt >= backAt);
    expect(firstWriteBack).toBeDefined();
    const firstSuccessMs = firstWriteBack!.endedAt - backAt;
    expect(firstSuccessMs).toBeLessThan(5_000);
    expect(readyAfterMs).toBeLessThan(5_000);
    const writes = await expectWritesExactly(services, started.writers, answers);
    console.log(
      `faults: PostgreSQL restart x2 + ${Math.round(backAt - downAt)} ms down: while down ${JSON.stringify(countByOutcome(whileDown))}; ` +
        `all ${JSON.stringify(countByOutcome(answers))}; writes acknowledged ${writes.acknowledged}, refused ${writes.refused}; ` +
        `slowest refusal ${Math.round(slowest)} ms (${refusals
          .sort((x, y) => y.endedAt - y.startedAt - (x.endedAt - x.startedAt))
          .slice(0, 4)
          .map((r) => `${r.kind} ${Math.round(r.endedAt - r.startedAt)} ms at ${Math.round(r.startedAt - loadAt)}`)
          .join(', ')}); first write after start ${Math.round(firstSuccessMs)} ms; /ready 200 after ${Math.round(readyAfterMs)} ms`,
    );
    server.child.kill('SIGKILL');
    await server.exited;
    server = undefined;
  }, 90_000);

  it('Redis stopped and started under reads and writes: no crash, only typed answers, reads keep working, recovery within 5 s, acknowledged writes stored and refused ones not', async () => {
    const started = await startLoadedServer(services);
    server = started.server;
    const readyUrl = server.url.replace('/graphql', '/ready');
    const load = startLoad(server.url, started.writers, started.readTargets, 8);
    await sleep(800);
    services.stopRedis();
    const downAt = performance.now();
    await sleep(1_500);
    const readyWhileDown = (await fetch(readyUrl)).status;
    services.startRedis();
    const backAt = performance.now();
    const readyAfterMs = await timeUntilOk(readyUrl);
    await untilWriteSucceeds(load.answers, backAt);
    const answers = await load.stop();

    expect(server.child.exitCode).toBeNull();
    expect(untyped(answers)).toEqual([]);
    expect(readyWhileDown).toBe(503);
    const whileDown = answers.filter((answer) => answer.startedAt >= downAt + 200 && answer.endedAt <= backAt);
    // Reads fall back to PostgreSQL; sessions live in Redis, so signed-in writes are refused, typed.
    expect(described(whileDown.filter((answer) => answer.kind === 'read' && answer.outcome !== 'ok'))).toEqual([]);
    const firstWriteBack = answers.find((answer) => answer.kind === 'write' && answer.outcome === 'ok' && answer.startedAt >= backAt);
    expect(firstWriteBack).toBeDefined();
    expect(firstWriteBack!.endedAt - backAt).toBeLessThan(5_000);
    expect(readyAfterMs).toBeLessThan(5_000);
    const writes = await expectWritesExactly(services, started.writers, answers);
    console.log(
      `faults: Redis ${Math.round(backAt - downAt)} ms down: while down ${JSON.stringify(countByOutcome(whileDown))}; writes acknowledged ${writes.acknowledged}, refused ${writes.refused}; ` +
        `first write after start ${Math.round(firstWriteBack!.endedAt - backAt)} ms; /ready 200 after ${Math.round(readyAfterMs)} ms`,
    );
    server.child.kill('SIGKILL');
    await server.exited;
    server = undefined;
  }, 90_000);

  it('SIGTERM under 8 writing clients: /ready is 503 at once, later requests are refused, in-flight ones finish, exit 0 within 10 s, acknowledged writes stored', async () => {
    const started = await startLoadedServer(services);
    server = started.server;
    const readyUrl = server.url.replace('/graphql', '/ready');
    const load = startLoad(server.url, started.writers, [], 0);
    await sleep(1_000);
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    const { messages } = server;
    await waitUntil(() => messages.some((message) => message.startsWith('shutting down')), 'the shutdown to begin', 5_000, 2);
    const shutdownAt = performance.now();
    const readyStatus = await fetch(readyUrl)
      .then((response) => response.status)
      .catch(() => 0); // a refused connection is as good as a 503
    const exitCode = await server.exited;
    const exitMs = performance.now() - signalledAt;
    const answers = await load.stop();
    server = undefined;

    expect(exitCode).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(readyStatus).not.toBe(200);
    // After the signal nothing new is served: requests sent later are refused (503, or no connection).
    const lateAcknowledged = answers.filter((answer) => answer.outcome === 'ok' && answer.startedAt > shutdownAt);
    expect(described(lateAcknowledged)).toEqual([]);
    expect(described(answers.filter((answer) => answer.outcome === 'untyped'))).toEqual([]);
    expect(described(answers.filter((answer) => answer.outcome === 'network' && answer.startedAt < signalledAt))).toEqual([]);
    const writes = await expectWritesExactly(
      services,
      started.writers,
      answers.filter((answer) => answer.outcome !== 'network'),
    );
    console.log(
      `faults: SIGTERM under 8 writers: exit ${exitCode} after ${Math.round(exitMs)} ms; ${JSON.stringify(countByOutcome(answers))}; ` +
        `writes acknowledged ${writes.acknowledged}, of them after the signal ${answers.filter((a) => a.outcome === 'ok' && a.endedAt > signalledAt).length}`,
    );
  }, 90_000);

  it('register while Redis is down answers SERVICE_UNAVAILABLE and leaves no account: the same username registers once Redis is back', async () => {
    server = await spawnServer({ DATABASE_URL: services.postgresAdminUrl, REDIS_URL: services.redisUrl });
    const username = `late_${Date.now().toString(36)}`;
    const register = () =>
      fetch(server!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { register(input: { username: "${username}", email: "${username}@example.com", password: "correct horse battery" }) { __typename ... on Error { code } } }`,
        }),
      }).then(async (response) => (await response.json()) as { data: { register: { __typename: string; code?: string } } });
    services.stopRedis();
    try {
      expect((await register()).data.register).toEqual({ __typename: 'ServiceUnavailableError', code: 'SERVICE_UNAVAILABLE' });
      const sql = postgres(services.postgresAdminUrl, { max: 1, onnotice: () => {} });
      expect(await sql`select id from players where username = ${username}`).toHaveLength(0);
      await sql.end();
    } finally {
      services.startRedis();
    }
    await timeUntilOk(server.url.replace('/graphql', '/ready'));
    expect((await register()).data.register).toEqual({ __typename: 'AuthPayload' });
    server.child.kill('SIGKILL');
    await server.exited;
    server = undefined;
  }, 60_000);
});
