import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type HttpServer } from '../src/server/http.js';
import { chatTopic, dmChannel } from '../src/social/chat.js';
import { tavernTopic } from '../src/tavern/tavern.js';
import {
  AddFriendDocument,
  AssignDrinkDocument,
  ChatMessagesDocument,
  EndTavernGameDocument,
  JoinTavernGameDocument,
  SendChatMessageDocument,
  StartTavernGameDocument,
  TavernGameEventsDocument,
} from './generated/graphql.js';
import { startInstance, startTestApp, type TestApp } from './support/harness.js';
import { waitUntil } from './support/wait.js';
import { subscribeSse, subscribeWs, type Live } from './support/live.js';
import { registerPlayer, uniqueName, type SignedInPlayer } from './support/players.js';
import { freePort } from './support/throwaway.js';

// Two instances of one deployment: one PostgreSQL, one Redis, two real HTTP servers.
let a: TestApp;
let b: TestApp;
let httpA: HttpServer;
let httpB: HttpServer;
beforeAll(async () => {
  a = await startTestApp();
  b = await startInstance(a.databaseUrl, a.redisUrl);
  [httpA, httpB] = await Promise.all([listen(a.yoga, 0, '127.0.0.1'), listen(b.yoga, 0, '127.0.0.1')]);
});
afterAll(async () => {
  await Promise.all([httpA.close(), httpB.close()]);
  await Promise.all([a.close(), b.close()]);
});

const redis = () => a.redisHandle.redis;
const subscribers = async (topic: string) => Number(((await redis().pubsub('NUMSUB', topic)) as [string, number])[1]);

const until = (condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => waitUntil(condition, what, timeoutMs, 10);

/** Waits until `count` subscriptions are open on `app` and Redis carries the topic. */
async function live(app: TestApp, count: number, topic: string) {
  await until(() => app.services.events.openSubscriptions() === count, `${count} open subscriptions`);
  await until(async () => (await subscribers(topic)) >= 1, `a Redis subscriber of ${topic}`);
}

const send = (app: TestApp, from: SignedInPlayer, channel: string, body: string) =>
  app.gql(SendChatMessageDocument, { channel, body }, { token: from.token }).then((r) => r.data!.sendChatMessage);

const transports = { SSE: subscribeSse, WebSocket: subscribeWs } as const;

describe.each(Object.entries(transports))('chatMessages over %s', (_name, subscribe) => {
  it('a message sent on instance B reaches a subscriber on instance A within 1 s', async () => {
    const [listener, speaker] = await Promise.all([registerPlayer(a), registerPlayer(b)]);
    const channel = `room:${uniqueName('x').toLowerCase()}`;
    const sub = subscribe(httpA.port, ChatMessagesDocument, { channel }, listener.token);
    await live(a, 1, chatTopic(channel));
    const sentAt = performance.now();
    const sent = await send(b, speaker, channel, 'a round for the house');
    const result = await sub.result(1, 1_000);
    expect(performance.now() - sentAt).toBeLessThan(1_000);
    if (sent.__typename !== 'ChatMessagePayload') throw new Error(JSON.stringify(sent));
    expect(result).toEqual({ data: { chatMessages: sent.message } });
    await sub.close();
  });

  it('a friend receives DMs; the stream carries only its own channel', async () => {
    const [x, y] = await Promise.all([registerPlayer(a), registerPlayer(a)]);
    await a.gql(AddFriendDocument, { playerId: y.id }, { token: x.token });
    await a.gql(AddFriendDocument, { playerId: x.id }, { token: y.token });
    const channel = dmChannel(x.id, y.id);
    const sub = subscribe(httpB.port, ChatMessagesDocument, { channel }, y.token);
    await live(b, 1, chatTopic(channel));
    await send(a, x, 'room:elsewhere', 'not for you');
    await send(a, x, channel, 'psst');
    expect((await sub.result(1, 1_000)).data?.chatMessages).toMatchObject({ channel, body: 'psst', from: { id: x.id } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sub.results).toHaveLength(1);
    await sub.close();
  });
});

/** The one error of a refused subscription, over either transport. */
async function refusal(sub: Live<unknown>) {
  await sub.ended;
  const errors = sub.refusal ?? sub.results.flatMap((result) => result.errors ?? []);
  expect(errors).toHaveLength(1);
  expect(sub.results.filter((result) => result.data)).toEqual([]);
  return errors[0]!.extensions?.code;
}

describe('refused subscriptions get one error with extensions.code and complete', () => {
  it('over WebSocket, without a token: an error message with UNAUTHENTICATED', async () => {
    const sub = subscribeWs(httpA.port, ChatMessagesDocument, { channel: 'room:lobby' }, null);
    expect(await refusal(sub)).toBe('UNAUTHENTICATED');
    expect(sub.refusal).not.toBeNull();
  });

  it('over SSE, without a token: an event with UNAUTHENTICATED', async () => {
    expect(await refusal(subscribeSse(httpA.port, ChatMessagesDocument, { channel: 'room:lobby' }, null))).toBe('UNAUTHENTICATED');
  });

  it("over WebSocket and SSE, someone else's DM channel: FORBIDDEN", async () => {
    const [x, y, eve] = await Promise.all([registerPlayer(a), registerPlayer(a), registerPlayer(a)]);
    const channel = dmChannel(x.id, y.id);
    const ws = subscribeWs(httpA.port, ChatMessagesDocument, { channel }, eve.token);
    expect(await refusal(ws)).toBe('FORBIDDEN');
    expect(ws.refusal).not.toBeNull();
    expect(await refusal(subscribeSse(httpA.port, ChatMessagesDocument, { channel }, eve.token))).toBe('FORBIDDEN');
  });

  it('a DM channel with a non-friend: FORBIDDEN', async () => {
    const [x, y] = await Promise.all([registerPlayer(a), registerPlayer(a)]);
    expect(await refusal(subscribeWs(httpB.port, ChatMessagesDocument, { channel: dmChannel(x.id, y.id) }, x.token))).toBe('FORBIDDEN');
  });

  it('a malformed channel: VALIDATION', async () => {
    const x = await registerPlayer(a);
    expect(await refusal(subscribeWs(httpA.port, ChatMessagesDocument, { channel: 'Lobby' }, x.token))).toBe('VALIDATION');
  });

  it('an unknown tavern game: NOT_FOUND', async () => {
    const x = await registerPlayer(a);
    const gameId = '00000000-0000-4000-8000-000000000000';
    expect(await refusal(subscribeSse(httpA.port, TavernGameEventsDocument, { gameId }, x.token))).toBe('NOT_FOUND');
  });

  it('a tavern game in a DM channel one may not read: FORBIDDEN', async () => {
    const [x, y, eve] = await Promise.all([registerPlayer(a), registerPlayer(a), registerPlayer(a)]);
    await a.gql(AddFriendDocument, { playerId: y.id }, { token: x.token });
    await a.gql(AddFriendDocument, { playerId: x.id }, { token: y.token });
    const started = (await a.gql(StartTavernGameDocument, { channelId: dmChannel(x.id, y.id) }, { token: x.token })).data!.startTavernGame;
    if (started.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(started));
    expect(await refusal(subscribeWs(httpA.port, TavernGameEventsDocument, { gameId: started.game.id }, eve.token))).toBe('FORBIDDEN');
  });
});

describe('tavernGameEvents', () => {
  it('carries JOINED, DRINK and ENDED from instance B to a WebSocket subscriber on A, then nothing more', async () => {
    const [host, guest, watcher] = await Promise.all([registerPlayer(b), registerPlayer(b), registerPlayer(a)]);
    const started = (await b.gql(StartTavernGameDocument, { channelId: uniqueName('tavern') }, { token: host.token })).data!
      .startTavernGame;
    if (started.__typename !== 'TavernGamePayload') throw new Error(JSON.stringify(started));
    const gameId = started.game.id;
    const sub = subscribeWs(httpA.port, TavernGameEventsDocument, { gameId }, watcher.token);
    await live(a, 1, tavernTopic(gameId));
    await b.gql(JoinTavernGameDocument, { gameId }, { token: guest.token });
    await b.gql(AssignDrinkDocument, { input: { gameId, toPlayerId: guest.id, reason: 'snake eyes' } }, { token: host.token });
    await b.gql(EndTavernGameDocument, { gameId }, { token: host.token }); // only the starter ends a game
    const events = await Promise.all([1, 2, 3].map((n) => sub.result(n, 1_000)));
    expect(events.map((e) => e.data?.tavernGameEvents)).toEqual([
      {
        type: 'JOINED',
        game: { id: gameId, status: 'ACTIVE', participants: [{ id: host.id }, { id: guest.id }] },
        drink: null,
        player: { id: guest.id, username: guest.username },
      },
      {
        type: 'DRINK',
        game: { id: gameId, status: 'ACTIVE', participants: [{ id: host.id }, { id: guest.id }] },
        drink: { id: expect.any(String), reason: 'snake eyes', from: { id: host.id }, to: { id: guest.id } },
        player: { id: host.id, username: host.username },
      },
      {
        type: 'ENDED',
        game: { id: gameId, status: 'ENDED', participants: [{ id: host.id }, { id: guest.id }] },
        drink: null,
        player: { id: host.id, username: host.username },
      },
    ]);
    await sub.close();
  });
});

describe('lifecycle', () => {
  it('subscribers that leave, by completing, closing the socket or aborting SSE, leave no listener and no Redis subscription', async () => {
    const players = await Promise.all(Array.from({ length: 4 }, () => registerPlayer(a)));
    const channel = `room:${uniqueName('leave').toLowerCase()}`;
    const topic = chatTopic(channel);
    const subs = [
      subscribeWs(httpA.port, ChatMessagesDocument, { channel }, players[0]!.token),
      subscribeSse(httpA.port, ChatMessagesDocument, { channel }, players[1]!.token),
      subscribeWs(httpB.port, ChatMessagesDocument, { channel }, players[2]!.token),
      subscribeSse(httpB.port, ChatMessagesDocument, { channel }, players[3]!.token),
    ];
    await until(() => a.services.events.openSubscriptions() === 2 && b.services.events.openSubscriptions() === 2, 'four subscriptions');
    // One Redis subscription per instance, however many listeners it serves.
    await until(async () => (await subscribers(topic)) === 2, 'two Redis subscribers');
    await send(a, players[0]!, channel, 'last call');
    for (const sub of subs) await sub.result(1, 1_000);
    await Promise.all(subs.map((sub) => sub.close()));
    await until(() => a.services.events.openSubscriptions() === 0 && b.services.events.openSubscriptions() === 0, 'no open subscriptions');
    await until(async () => (await subscribers(topic)) === 0, 'no Redis subscribers');
  });
});

const numsubOn = async (port: number, topic: string) =>
  Number(
    spawnSync('redis-cli', ['-p', String(port), 'pubsub', 'numsub', topic])
      .stdout.toString()
      .trim()
      .split('\n')[1],
  );

describe('Redis outage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-bus-outage-'));
  let port: number;
  let app: TestApp;
  let http: HttpServer;

  const startRedis = () =>
    execFileSync('redis-server', [
      ...['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes'],
      ...['--dir', dir, '--pidfile', join(dir, 'redis.pid'), '--logfile', join(dir, 'redis.log')],
    ]);

  beforeAll(async () => {
    port = await freePort();
    startRedis();
    const url = `redis://127.0.0.1:${port}`;
    await until(
      () =>
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG',
      'Redis to start',
    );
    app = await startInstance(a.databaseUrl, url);
    http = await listen(app.yoga, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await http.close();
    await app.close();
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('open subscriptions end with SERVICE_UNAVAILABLE over both transports, and /ready reports it', async () => {
    const player = await registerPlayer(app);
    const channel = 'room:outage';
    const subs = [
      subscribeWs(http.port, ChatMessagesDocument, { channel }, player.token),
      subscribeSse(http.port, ChatMessagesDocument, { channel }, player.token),
    ];
    await until(() => app.services.events.openSubscriptions() === 2, 'two subscriptions');
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    for (const sub of subs) {
      await sub.ended;
      expect(sub.results).toHaveLength(1);
      expect(sub.results[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    expect(app.services.events.openSubscriptions()).toBe(0);
    const ready = await fetch(`http://127.0.0.1:${http.port}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, redis: 'unavailable', subscriptions: 'unavailable' });
    expect(await refusal(subscribeWs(http.port, ChatMessagesDocument, { channel }, player.token))).toBe('SERVICE_UNAVAILABLE');
  });

  it('once Redis is back, /ready recovers and a new subscription receives messages again', async () => {
    startRedis();
    await until(async () => (await fetch(`http://127.0.0.1:${http.port}/ready`)).status === 200, '/ready to recover', 10_000);
    // The restarted Redis has lost every session: sign in afresh.
    const player = await registerPlayer(app);
    const sub = subscribeSse(http.port, ChatMessagesDocument, { channel: 'room:outage' }, player.token);
    await until(() => app.services.events.openSubscriptions() === 1, 'the new subscription');
    await until(async () => (await numsubOn(port, chatTopic('room:outage'))) === 1, 'its Redis subscription');
    await send(app, player, 'room:outage', 'back again');
    expect((await sub.result(1, 1_000)).data?.chatMessages).toMatchObject({ body: 'back again' });
    await sub.close();
  });
});

describe('limits over WebSocket, as over HTTP', () => {
  /** What a raw graphql-ws subscription ends with: the `error` payload, or null when it completes. */
  async function ending(query: string): Promise<unknown> {
    const client = createClient({ url: `ws://127.0.0.1:${httpA.port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      return await new Promise((resolve) => client.subscribe({ query }, { next: () => {}, error: resolve, complete: () => resolve(null) }));
    } finally {
      await client.dispose();
    }
  }

  it('a syntax error names the rule but never quotes the document back', async () => {
    const errors = (await ending('subscription { "hunter2-secret" }')) as Array<{ message: string }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/Syntax Error/);
    expect(JSON.stringify(errors)).not.toContain('hunter2');
  });

  it('a document of more than 1,000 tokens is refused while parsing', async () => {
    const fields = Array.from({ length: 600 }, (_, i) => `f${i}: __typename`).join(' ');
    const errors = (await ending(`subscription { ${fields} }`)) as Array<{ message: string }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/1000 tokens/);
  });
});
