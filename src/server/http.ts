import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { isAsyncIterable } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { REQUEST_LIMITS } from '../limits.js';
import { withoutEchoedInput } from './no-echo.js';
import { requestListenerOf } from './response-cache-plugin.js';
import type { GuildhallYoga } from './yoga.js';

export interface HttpServer {
  server: Server;
  port: number;
  /**
   * Stops accepting (new requests, also on kept-alive connections, get 503 and `Connection: close`),
   * ends WebSocket sessions (their subscriptions complete) and waits for requests in flight.
   */
  close(): Promise<void>;
}

type Enveloped = ReturnType<GuildhallYoga['getEnveloped']>;
interface Roots {
  execute: Enveloped['execute'];
  /** A subscription's stream, opened in onSubscribe so a refusal becomes an `error` message. */
  stream?: AsyncIterable<ExecutionResult>;
}

/** The token of graphql-ws connection parameters `{ authorization: "Bearer <token>" }`. */
function authorizationOf(connectionParams: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const value = connectionParams?.authorization ?? connectionParams?.Authorization;
  return typeof value === 'string' ? { authorization: value } : {};
}

/** A request that arrives while the server shuts down: a load balancer or client retries it elsewhere. */
function refuseWhileClosing(response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
  response.end('{"ready":false,"shuttingDown":true}');
}

/**
 * Serves Yoga over HTTP (queries, mutations, subscriptions over server-sent events) and
 * graphql-ws over WebSocket on the same port and path, `/graphql`.
 */
export function listen(yoga: GuildhallYoga, port: number, host?: string): Promise<HttpServer> {
  const server = createServer(requestListenerOf(yoga));
  return new Promise((resolve) => {
    server.listen(port, host, () => resolve(serveGraphQL(server, yoga)));
  });
}

/**
 * Turns a listening server (one that answered 503 while the app started) into Guildhall's:
 * requests go to Yoga, and WebSocket upgrades on `/graphql` to graphql-ws.
 */
export function serveGraphQL(server: Server, yoga: GuildhallYoga): HttpServer {
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  server.removeAllListeners('request');
  const handle = requestListenerOf(yoga);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (closing) return refuseWhileClosing(response);
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
    return handle(request, response);
  });
  // A message is bounded like a request body (the HTTP path's request guard does not see it).
  const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: REQUEST_LIMITS.maxBodyBytes });
  const graphqlWs = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as Roots).execute(args),
      subscribe: (args) => (args.rootValue as Roots).stream!,
      onSubscribe: async (ctx, _id, params) => {
        // Yoga builds the context from a Request: this one carries the socket's token.
        // It also carries X-Forwarded-For, so TRUST_PROXY sees the client's address as over HTTP.
        const forwarded = ctx.extra.request.headers['x-forwarded-for'];
        const headers = {
          ...authorizationOf(ctx.connectionParams),
          ...(typeof forwarded === 'string' ? { 'x-forwarded-for': forwarded } : {}),
        };
        const request = new Request(`http://localhost${yoga.graphqlEndpoint}`, { headers });
        const enveloped = yoga.getEnveloped({ req: ctx.extra.request, request, params });
        let document: ExecutionArgs['document'];
        try {
          document = enveloped.parse(params.query, { maxTokens: REQUEST_LIMITS.maxTokens });
        } catch (error) {
          // As over HTTP: the rule and the place, never the input quoted back.
          return [error instanceof GraphQLError ? withoutEchoedInput(error) : new GraphQLError('Syntax error')];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return [...errors];
        const roots: Roots = { execute: enveloped.execute };
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: roots,
        };
        if (getOperationAST(document, params.operationName)?.operation !== 'subscription') return args;
        const stream = await enveloped.subscribe(args);
        if (!isAsyncIterable(stream)) return [...(stream.errors ?? [new GraphQLError('The subscription could not start.')])];
        roots.stream = stream as AsyncIterable<ExecutionResult>;
        return args;
      },
    },
    sockets,
  );
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      // From here on /ready and every new request (on a kept-alive connection) answer 503, and
      // the requests in flight finish with `Connection: close`, so no connection is reused.
      closing = true;
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
      const closed = new Promise<void>((done) => server.close(() => done()));
      await graphqlWs.dispose();
      server.closeIdleConnections();
      await closed;
    },
  };
}
