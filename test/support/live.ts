// Subscription clients for tests and the realtime benchmark: graphql-ws over WebSocket, and
// GraphQL over server-sent events (Yoga's default), both against a listening server.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveResult<R> {
  data?: R | null;
  errors?: GraphQLFormattedError[];
}

/** One subscription: what arrived, and how it ended. */
export interface Live<R> {
  results: Array<LiveResult<R>>;
  /** graphql-ws `error` message payload (a refusal), if any. */
  refusal: GraphQLFormattedError[] | null;
  /** Resolves when the server completes the subscription (or refuses it). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Resolves with the nth result (1-based) once it arrives; rejects after timeoutMs. */
  result(n: number, timeoutMs?: number): Promise<LiveResult<R>>;
  /** The client leaves: completes (WebSocket) or aborts the request (SSE). */
  close(): Promise<void>;
}

function tracker<R>() {
  const results: Array<LiveResult<R>> = [];
  const waiters: Array<() => void> = [];
  let endedFlag = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const notify = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  return {
    results,
    ended,
    push(result: LiveResult<R>) {
      results.push(result);
      notify();
    },
    end() {
      endedFlag = true;
      markEnded();
      notify();
    },
    isEnded: () => endedFlag,
    async result(n: number, timeoutMs = 2_000): Promise<LiveResult<R>> {
      const deadline = Date.now() + timeoutMs;
      while (results.length < n) {
        if (endedFlag) throw new Error(`subscription ended after ${results.length} results: ${JSON.stringify(results)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no result ${n} within ${timeoutMs} ms (have ${results.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return results[n - 1]!;
    },
  };
}

/** Subscribes over graphql-ws; the token goes in the connection parameters. */
export function subscribeWs<R, V>(port: number, document: TypedDocumentNode<R, V>, variables: V, token?: string | null): Live<R> {
  const t = tracker<R>();
  let refusal: GraphQLFormattedError[] | null = null;
  const client = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
  const unsubscribe = client.subscribe<R>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (value) => t.push(value as LiveResult<R>),
      error: (error) => {
        refusal = Array.isArray(error) ? (error as GraphQLFormattedError[]) : [{ message: String(error) }];
        t.end();
      },
      complete: () => t.end(),
    },
  );
  return {
    results: t.results,
    get refusal() {
      return refusal;
    },
    ended: t.ended,
    isEnded: t.isEnded,
    result: t.result,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** Subscribes over server-sent events (POST with `Accept: text/event-stream`). */
export function subscribeSse<R, V>(port: number, document: TypedDocumentNode<R, V>, variables: V, token?: string | null): Live<R> {
  const t = tracker<R>();
  const abort = new AbortController();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  const reading = (async () => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: print(document), variables }),
      signal: abort.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (event === 'next' || (!event && data)) t.push(JSON.parse(data) as LiveResult<R>);
        if (event === 'complete') return;
        boundary = buffer.indexOf('\n\n');
      }
    }
  })()
    .catch(() => {})
    .finally(() => t.end());
  return {
    results: t.results,
    refusal: null,
    ended: t.ended,
    isEnded: t.isEnded,
    result: t.result,
    async close() {
      abort.abort();
      await reading;
    },
  };
}
