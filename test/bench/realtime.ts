// npm run bench:realtime — P8, fan-out: 1,000 subscribers of one room spread over two
// Guildhall processes (half graphql-ws, half SSE), one message at a time sent alternately
// to either instance. Prints p50/p99 of the time from sending until every subscriber has
// the message (and until the first has it, and the sendChatMessage round trip), and the
// servers' RSS per 1,000 subscriptions.
// BENCH_SUBSCRIBERS (default 1000) and BENCH_ROUNDS (default 30) override.
import { spawn, type ChildProcess } from 'node:child_process';
import { rssMb } from '../support/wait.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { sql } from 'drizzle-orm';
import { print } from 'graphql';
import { connectPostgres } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { ChatMessagesDocument, RegisterDocument, SendChatMessageDocument } from '../generated/graphql.js';
import { subscribeSse, subscribeWs, type Live } from '../support/live.js';
import { freePort, startThrowawayServices } from '../support/throwaway.js';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const CHANNEL = 'room:bench';
const step = (message: string) => console.log(`[bench:realtime ${new Date().toISOString().slice(11, 19)}] ${message}`);

function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/src/main.js'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/Guildhall listening/.test(line)) resolve(child);
    });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function gql(port: number, query: string, variables: object, token?: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data: Record<string, { __typename: string; token?: string }> };
}

async function register(port: number, name: string): Promise<string> {
  const input = { username: name, email: `${name}@bench.test`, password: 'bench password' };
  return (await gql(port, print(RegisterDocument), { input })).data.register!.token!;
}

/** Resolves when each subscription holds its target count of results: when the first and the last got there. */
async function allReceived(subs: Array<Live<unknown>>, targets: number[], timeoutMs = 10_000): Promise<{ first: number; last: number }> {
  const times = await Promise.all(subs.map((sub, i) => sub.result(targets[i]!, timeoutMs).then(() => performance.now())));
  return { first: Math.min(...times), last: Math.max(...times) };
}

const children: ChildProcess[] = [];
const services = await startThrowawayServices();
const subs: Array<Live<unknown>> = [];
// Whatever happens, the servers and the throwaway services go away.
const cleanUp = () => {
  for (const child of children) child.kill('SIGTERM');
  services.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(1);
  });
}
setTimeout(() => {
  console.error('bench:realtime timed out after 10 minutes');
  cleanUp();
  process.exit(1);
}, 600_000).unref();
try {
  const log = createLogger('silent');
  const admin = await connectPostgres(services.postgresAdminUrl, { poolSize: 1, log });
  await admin.db.execute(sql.raw('CREATE DATABASE bench_realtime'));
  await admin.close();
  const databaseUrl = services.postgresAdminUrl.replace(/\/postgres$/, '/bench_realtime');
  const database = await connectPostgres(databaseUrl, { poolSize: 1, log });
  await database.migrate();
  await database.close();

  const ports = [await freePort(), await freePort()];
  const servers = [];
  for (const port of ports) {
    servers.push(
      await startServer({
        DATABASE_URL: databaseUrl,
        REDIS_URL: services.redisUrl,
        PORT: String(port),
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
      }),
    );
  }
  children.push(...servers);
  const listener = await register(ports[0]!, 'listener');
  // The rate limit allows 5 messages in 5 s per player: each round has its own sender.
  const senders = await Promise.all(Array.from({ length: ROUNDS + 1 }, (_, i) => register(ports[i % 2]!, `sender_${i}`)));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssBefore = servers.map((server) => rssMb(server.pid!));
  step(`two servers up (RSS ${rssBefore.map((mb) => mb.toFixed(0)).join(' and ')} MB); opening ${SUBSCRIBERS} subscriptions`);

  for (let i = 0; i < SUBSCRIBERS; i++) {
    const port = ports[i % 2]!;
    const subscribe = Math.floor(i / 2) % 2 === 0 ? subscribeWs : subscribeSse;
    subs.push(subscribe(port, ChatMessagesDocument, { channel: CHANNEL }, listener) as Live<unknown>);
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const send = (round: number) =>
    gql(ports[round % 2]!, print(SendChatMessageDocument), { channel: CHANNEL, body: `round ${round}` }, senders[round]).then((r) => {
      if (r.data.sendChatMessage!.__typename !== 'ChatMessagePayload') throw new Error(JSON.stringify(r));
    });
  // Warm-up, not measured: resend until every subscription has had a message, proving all are live.
  for (let attempt = 0; subs.some((sub) => sub.results.length === 0); attempt++) {
    if (attempt === 5) throw new Error('subscriptions did not all go live');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await send(0);
    await allReceived(
      subs,
      subs.map(() => 1),
      3_000,
    ).catch(() => {});
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssAfter = servers.map((server) => rssMb(server.pid!));
  const rssPerThousand = ((rssAfter[0]! + rssAfter[1]! - rssBefore[0]! - rssBefore[1]!) * 1000) / SUBSCRIBERS;
  step(`all ${SUBSCRIBERS} live; RSS ${rssAfter.map((mb) => mb.toFixed(0)).join(' and ')} MB`);

  const toAll: number[] = [];
  const toFirst: number[] = [];
  const sendMs: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const sentAt = performance.now();
    const received = allReceived(
      subs,
      subs.map((sub) => sub.results.length + 1),
    );
    await send(round);
    sendMs.push(performance.now() - sentAt);
    const { first, last } = await received;
    toAll.push(last - sentAt);
    toFirst.push(first - sentAt);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  toAll.sort((x, y) => x - y);
  toFirst.sort((x, y) => x - y);
  sendMs.sort((x, y) => x - y);
  const result = {
    workload: 'P8 fan-out',
    subscribers: SUBSCRIBERS,
    instances: 2,
    transports: 'half graphql-ws, half SSE',
    rounds: ROUNDS,
    toAllMs: { p50: percentile(toAll, 50), p99: percentile(toAll, 99), max: toAll.at(-1) },
    toFirstMs: { p50: percentile(toFirst, 50), p99: percentile(toFirst, 99) },
    // The sendChatMessage round trip, for comparison (its instance fans out meanwhile).
    sendMutationMs: { p50: percentile(sendMs, 50), p99: percentile(sendMs, 99) },
    rssMb: { before: rssBefore, after: rssAfter, perThousandSubscriptions: rssPerThousand },
  };
  console.log(JSON.stringify(result, (_key, value) => (typeof value === 'number' ? Math.round(value * 10) / 10 : value), 2));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(`bench-results/realtime-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, JSON.stringify(result, null, 2));
} finally {
  await Promise.all(subs.map((sub) => sub.close().catch(() => {})));
  cleanUp();
}
