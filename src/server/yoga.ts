import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { createContext, type Context, type Services } from '../context.js';
import { DomainError, ValidationError } from '../errors.js';
import { useCharacterResponseCache } from './response-cache-plugin.js';
import { useGuildhallMetrics } from './metrics-plugin.js';
import { schema } from '../graphql/schema.js';

export interface ServerOptions {
  /** Each probe resolves when its service answers and rejects otherwise. */
  probes: Record<string, () => Promise<void>>;
}

type ServerContext = { req?: IncomingMessage };
export type GuildhallYoga = YogaServerInstance<ServerContext, Context>;

const EXAMPLE_QUERY = `# Register, then send the token as a header: { "Authorization": "Bearer <token>" }
query Characters {
  characters(first: 10) {
    edges {
      node { id name rank attributes { power speed spirit recovery } player { username } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

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
    graphiql: { title: 'Guildhall', defaultQuery: EXAMPLE_QUERY },
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
            extensions: {
              code: original.code,
              ...(original instanceof ValidationError && original.field ? { field: original.field } : {}),
            },
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
      useCharacterResponseCache(services.cache),
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
