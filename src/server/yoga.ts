import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga, type GraphiQLOptions, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { createContext, type Context, type Services } from '../context.js';
import { DomainError } from '../errors.js';
import { useCharacterResponseCache } from './response-cache-plugin.js';
import { useGuildhallMetrics } from './metrics-plugin.js';
import { schema } from '../graphql/schema.js';

export interface ServerOptions {
  /** Each probe resolves when its service answers and rejects otherwise. */
  probes: Record<string, () => Promise<void>>;
}

type ServerContext = { req?: IncomingMessage };
export type GuildhallYoga = YogaServerInstance<ServerContext, Context>;

// The page GraphiQL opens with: named operations, so each can be run from the play button.
const EXAMPLE_OPERATIONS = `# Welcome to Guildhall. Run Races first, then Register (or Login) and copy the token into
# the Headers tab below as { "Authorization": "Bearer <token>" } to run the rest.

query Races {
  races { id name description }
}

mutation Register {
  register(input: { username: "aria", email: "aria@example.com", password: "correct horse battery" }) {
    __typename
    ... on AuthPayload { token player { id username } }
    ... on Error { code message }
  }
}

mutation Login {
  login(input: { login: "aria", password: "correct horse battery" }) {
    __typename
    ... on AuthPayload { token }
    ... on Error { code message }
  }
}

query Characters {
  characters(first: 10) {
    edges { node { id name rank attributes { power speed spirit recovery } player { username } } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

// GraphiQL's scripts and styles come bundled in @graphql-yoga/render-graphiql (no CDN, so the
// page works offline). The module is about 9 MB: it is loaded on the first request for the
// page, so a server that nobody browses never holds it.
let graphiqlPage: Promise<string> | undefined;
const renderGraphiQL = (options: GraphiQLOptions) =>
  (graphiqlPage ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL: render }) => render(options)));

// Drizzle puts a failed statement's parameters in its error message, and those can be
// a password hash or an email: keep the SQL and the cause, drop the parameters.
const PARAMS = /\nparams: [^\n]*/g;
function loggable(error: Error) {
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return {
    type: error.constructor.name,
    message: error.message.replace(PARAMS, '\nparams: [redacted]'),
    cause,
    stack: error.stack?.replace(PARAMS, '\nparams: [redacted]'),
  };
}

const loggableArg = (arg: unknown) => (arg instanceof Error ? loggable(arg) : arg);

/** The configured Yoga server. It opens no port: main.ts listens, tests call `yoga.fetch`. */
export function createServer(services: Services, options: ServerOptions): GuildhallYoga {
  const { log } = services;
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: { title: 'Guildhall', defaultQuery: EXAMPLE_OPERATIONS },
    renderGraphiQL,
    logging: {
      debug: (...args) => log.debug({ args: args.map(loggableArg) }, 'yoga'),
      info: (...args) => log.info({ args: args.map(loggableArg) }, 'yoga'),
      warn: (...args) => log.warn({ args: args.map(loggableArg) }, 'yoga'),
      error: (...args) => log.error({ args: args.map(loggableArg) }, 'yoga'),
    },
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        // A refusal outside a result union (a query field, logout) keeps its code.
        if (original instanceof DomainError) {
          return new GraphQLError(original.message, {
            nodes: error instanceof GraphQLError ? error.nodes : undefined,
            path: error instanceof GraphQLError ? error.path : undefined,
            extensions: { code: original.code },
          });
        }
        if (original && !(original instanceof GraphQLError)) {
          log.error({ err: loggableArg(original) }, 'unexpected error while resolving');
        }
        // isDev false: never attach the original error (and its stack) to the response.
        return maskError(error, message, false);
      },
    },
    context: ({ request, req }) => createContext(services, request, req?.socket.remoteAddress ?? 'unknown'),
    plugins: [
      useGuildhallMetrics(services.metrics),
      useCharacterResponseCache(services.cache, schema),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          const entries = Object.entries(options.probes);
          const results = await Promise.allSettled(entries.map(([, probe]) => probe()));
          const status = Object.fromEntries(entries.map(([name], i) => [name, results[i]!.status === 'fulfilled' ? 'ok' : 'unavailable']));
          const ready = results.every((result) => result.status === 'fulfilled');
          return Response.json({ ready, ...status }, { status: ready ? 200 : 503 });
        },
      }),
    ],
  });
}
