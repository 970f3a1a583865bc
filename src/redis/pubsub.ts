import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, Repeater } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { redactUrl, type Logger } from '../logger.js';

/** The last item of a live stream that ended because the bus lost Redis. */
export const BUS_LOST = Symbol('event bus lost Redis');
export type BusLost = typeof BUS_LOST;

/**
 * Carries live events (chat messages, tavern events) to the subscriptions of every
 * instance: Redis pub/sub in services mode, in-process in embedded mode. Domains name
 * their topics and payloads; payloads are JSON.
 */
export interface EventBus {
  kind: 'redis' | 'in-process';
  /** Never throws: a live event lost while Redis is down is logged; the write it reports stands. */
  publish(topic: string, payload: unknown): void;
  /**
   * The Redis pub/sub channel a topic's events travel on, for a Lua script that publishes an
   * event in the same step as the write it reports (the message: the payload as JSON); null
   * when the bus is in-process, where only `publish` reaches subscribers.
   */
  redisChannel(topic: string): string | null;
  /**
   * A topic's events until the consumer stops, or until the bus loses Redis: then the
   * stream yields BUS_LOST and ends.
   */
  subscribe<T>(topic: string): AsyncIterableIterator<T | BusLost>;
  /** Whether a new subscription would receive events now. */
  isUp(): boolean;
  /** Subscriptions open on this instance. */
  openSubscriptions(): number;
  /** Ends every open subscription of this instance as if Redis were lost (at shutdown). */
  endSubscriptions(): void;
  /** Resolves while the bus is up (the /ready probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

type Topics = Record<string, [unknown]>;

function busAround(kind: EventBus['kind'], pubsub: ReturnType<typeof createPubSub<Topics>>, isUp: () => boolean) {
  const onLost = new Set<() => void>();
  let open = 0;
  const bus: EventBus = {
    kind,
    publish: (topic, payload) => pubsub.publish(topic, payload),
    // @graphql-yoga/redis-event-target publishes a topic on the channel of that name.
    redisChannel: (topic) => (kind === 'redis' ? topic : null),
    subscribe: <T>(topic: string) =>
      new Repeater<T | BusLost>(async (push, stop) => {
        const events = pubsub.subscribe(topic);
        const lost = () => {
          void push(BUS_LOST);
          stop();
        };
        onLost.add(lost);
        open++;
        void (async () => {
          for await (const event of events) await push(event as T);
        })().catch(stop);
        // Released when the client disconnects or completes (return()) or the bus is lost.
        await stop;
        onLost.delete(lost);
        open--;
        await events.return?.();
      }),
    isUp,
    openSubscriptions: () => open,
    endSubscriptions: () => lose(),
    ping: async () => {
      if (!isUp()) throw new Error('event bus is not connected to Redis');
    },
    close: async () => {},
  };
  function lose() {
    for (const end of [...onLost]) end();
  }
  return { bus, lose };
}

/** The in-process bus of the embedded mode. */
export function inProcessEventBus(): EventBus {
  return busAround('in-process', createPubSub<Topics>(), () => true).bus;
}

/**
 * A bus on Redis pub/sub, with its own two connections (a subscribed connection can send
 * nothing but (un)subscribe). Starts even when Redis is down; subscriptions are refused
 * until it is up, and every open one ends when the subscribed connection drops.
 */
export async function connectEventBus(url: string, log: Logger): Promise<EventBus> {
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
  const publisher = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy });
  // (Un)subscribes queue while disconnected, so one that races an outage is not lost.
  const subscriber = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy });
  const report = (what: string) => (error: Error) => log.warn({ err: { message: error.message }, redis: redactUrl(url) }, what);
  publisher.on('error', () => {});
  subscriber.on('error', () => {});
  // The event target calls these without awaiting them: failures are logged here rather
  // than becoming unhandled rejections. Only the methods it calls are provided.
  const target = createRedisEventTarget({
    publishClient: {
      publish: (channel: string, message: string) => publisher.publish(channel, message).catch(report('live event not published')),
    } as unknown as Redis,
    subscribeClient: {
      on: subscriber.on.bind(subscriber),
      subscribe: (channel: string) => subscriber.subscribe(channel).catch(report('subscribe failed')),
      unsubscribe: (channel: string) => subscriber.unsubscribe(channel).catch(report('unsubscribe failed')),
    } as unknown as Redis,
  });
  const { bus, lose } = busAround('redis', createPubSub<Topics>({ eventTarget: target }), () => subscriber.status === 'ready');
  let connected = false;
  let closing = false;
  subscriber.on('ready', () => {
    connected = true;
  });
  subscriber.on('close', () => {
    if (connected && !closing) log.warn('event bus lost Redis: ending open subscriptions');
    connected = false;
    lose();
  });
  await Promise.all([publisher.connect().catch(() => {}), subscriber.connect().catch(() => {})]);
  bus.close = async () => {
    closing = true;
    // QUIT would wait in the offline queue for a Redis that is gone.
    const end = async (client: Redis) =>
      client.status === 'ready' ? void (await client.quit().catch(() => client.disconnect())) : client.disconnect();
    await Promise.all([end(publisher), end(subscriber)]);
  };
  return bus;
}
