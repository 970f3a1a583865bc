import type { IncomingMessage } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type ExecutionArgs, execute, GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type GraphiQLOptions, maskError, type Plugin, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { ExposureOptions } from '../config.js';
import { createContext, type Context, type Services } from '../context.js';
import { DomainError, ValidationError } from '../errors.js';
import { REQUEST_LIMITS } from '../limits.js';
import { useNoEchoes, withoutEchoedInput } from './no-echo.js';
import { useRequestGuard } from './request-guard-plugin.js';
import { answerHitsFirst, CharacterResponses, setRequestListener } from './response-cache-plugin.js';
import { useGuildhallMetrics } from './metrics-plugin.js';
import { schema } from '../graphql/schema.js';
import { asServiceUnavailable } from '../graphql/outage-plugin.js';
import { answerCompiled, executeAsSql } from '../graphql/sql-json.js';
import type { Logger } from '../logger.js';
import { KnownMutations } from './known-mutations.js';

/** The message Yoga's maskedErrors passes to maskError (its default). */
const YOGA_MASKED_MESSAGE = 'Unexpected error.';

export interface ServerOptions {
  /** Each probe resolves when its service answers and rejects otherwise. */
  probes: Record<string, () => Promise<void>>;
  /** What is exposed; the default is development's (open). main.ts passes the configured one. */
  exposure?: ExposureOptions;
}

const DEVELOPMENT: ExposureOptions = { introspection: true, corsOrigins: '*', metrics: 'open', trustProxy: 0 };

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

/** Marks graphql-armor's refusals with a code and the limit they hit. */
const limitRefused =
  (limit: string, max: number) =>
  (_context: unknown, error: GraphQLError): void => {
    Object.assign(error.extensions, { code: 'QUERY_LIMIT_EXCEEDED', limit, max, http: { status: 400 } });
  };

/** Depth, aliases, directives and cost (DESIGN §14), checked while validating, before anything runs. */
const armor = () =>
  EnvelopArmorPlugin({
    maxTokens: { enabled: false }, // the request guard's parser counts tokens
    maxDepth: { n: REQUEST_LIMITS.maxDepth, onReject: [limitRefused('depth', REQUEST_LIMITS.maxDepth)] },
    maxAliases: { n: REQUEST_LIMITS.maxAliases, onReject: [limitRefused('aliases', REQUEST_LIMITS.maxAliases)] },
    maxDirectives: { n: REQUEST_LIMITS.maxDirectives, onReject: [limitRefused('directives', REQUEST_LIMITS.maxDirectives)] },
    costLimit: { maxCost: REQUEST_LIMITS.maxCost, onReject: [limitRefused('cost', REQUEST_LIMITS.maxCost)] },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;

/**
 * Queries and mutations run on graphql-js's own executor rather than Yoga's default
 * (@graphql-tools/executor), which builds each field's resolve info with two closures of its
 * own and coerces arguments through a slower path: on a nested page of ~5,000 fields that was
 * most of the garbage per request (measured: npm run bench, P2). Responses are the same
 * (same field order, errors and paths); nothing here uses @defer or @stream, which only the
 * default executor supports. Subscriptions keep Yoga's executor.
 */
const graphqlJsExecute: Plugin = {
  onExecute({ setExecuteFn }) {
    setExecuteFn(executeAsYogaDoes);
  },
};

/**
 * A request that cannot run (a variable missing or of the wrong type, no such operation) is
 * refused with status 400, as Yoga's executor refuses it: graphql-js answers the same errors
 * but leaves the status to the server. Yoga reads `extensions.http` and never prints it.
 */
function executeAsYogaDoes(args: ExecutionArgs): ReturnType<typeof execute> {
  // A page of columns and relations is one statement that returns the body (graphql/sql-json.ts).
  // Should it fail, the query runs as before, so its error is the one it always was.
  const compiled = executeAsSql(args, (args.contextValue as Context).db);
  return compiled ? compiled.catch(() => executeWithGraphqlJs(args)) : executeWithGraphqlJs(args);
}

function executeWithGraphqlJs(args: ExecutionArgs): ReturnType<typeof execute> {
  const result = execute(args);
  if (!(result instanceof Promise) && !('data' in result)) {
    for (const error of result.errors ?? []) {
      Object.defineProperty(error, 'extensions', {
        value: { ...error.extensions, http: { ...(error.extensions.http as object | undefined), status: 400 } },
      });
    }
  }
  return result;
}

/**
 * How an error leaves the server: Yoga's maskedErrors, and the results of known mutations
 * answered without Yoga (known-mutations.ts). Stack traces and unexpected messages never do.
 */
function maskWith(log: Logger) {
  return (error: unknown, message: string): Error => {
    const original = asServiceUnavailable(error instanceof GraphQLError ? error.originalError : error);
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
    // A GraphQL error of our own or of graphql-js (syntax, validation, variables): keep it
    // without any input it quotes.
    if (error instanceof GraphQLError && !(error.originalError && !(error.originalError instanceof GraphQLError))) {
      return withoutEchoedInput(error);
    }
    // isDev false: never attach the original error (and its stack) to the response.
    return maskError(error, message, false);
  };
}

const noIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

/** The client's address: the socket's, or the entry the nearest trusted proxy appended to X-Forwarded-For. */
export function clientAddressOf(forwardedFor: string | null | undefined, socketAddress: string | undefined, trustProxy: number): string {
  // Without a trusted proxy the header is ignored, so it is not even split (every request asks).
  if (trustProxy > 0 && forwardedFor) {
    const forwarded = forwardedFor
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (forwarded.length > 0) return forwarded[Math.max(0, forwarded.length - trustProxy)]!;
  }
  return socketAddress ?? 'unknown';
}

/** A probe that does not answer within a second counts as down: /ready answers, it never hangs. */
function withinProbeTime(probe: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('probe timed out')), 1_000);
  });
  return Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
}

/** The configured Yoga server. It opens no port: main.ts listens, tests call `yoga.fetch`. */
export function createServer(services: Services, options: ServerOptions): GuildhallYoga {
  const { log } = services;
  const exposure = options.exposure ?? DEVELOPMENT;
  const responses = new CharacterResponses(services.cache, schema);
  const mask = maskWith(log);
  const mutations = new KnownMutations({
    services,
    schema,
    trustProxy: exposure.trustProxy,
    clientAddressOf,
    // As Yoga wraps its maskError: the message it passes, and the original logged when masked.
    mask: (error) => {
      const masked = mask(error, YOGA_MASKED_MESSAGE);
      if (masked !== error) log.error({ args: [loggableArg(error)] }, 'yoga');
      return masked as GraphQLError;
    },
  });
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: exposure.introspection ? { title: 'Guildhall', defaultQuery: EXAMPLE_OPERATIONS } : false,
    renderGraphiQL,
    cors:
      exposure.corsOrigins === '*'
        ? undefined
        : exposure.corsOrigins.length > 0
          ? { origin: exposure.corsOrigins, credentials: true }
          : false,
    logging: {
      debug: (...args) => log.debug({ args: args.map(loggableArg) }, 'yoga'),
      info: (...args) => log.info({ args: args.map(loggableArg) }, 'yoga'),
      warn: (...args) => log.warn({ args: args.map(loggableArg) }, 'yoga'),
      error: (...args) => log.error({ args: args.map(loggableArg) }, 'yoga'),
    },
    maskedErrors: { maskError: mask },
    context: ({ request, req }) =>
      createContext(
        services,
        request.headers.get('authorization'),
        clientAddressOf(request.headers.get('x-forwarded-for'), req?.socket.remoteAddress, exposure.trustProxy),
      ),
    plugins: [
      useRequestGuard(),
      armor(),
      useNoEchoes(),
      ...(exposure.introspection ? [] : [noIntrospection]),
      // Before the other plugins' execute hooks, so each of them sees graphql-js's executor.
      graphqlJsExecute,
      useGuildhallMetrics(services.metrics, exposure.metrics),
      responses.plugin(),
      mutations.plugin(),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          const entries = Object.entries(options.probes);
          const results = await Promise.allSettled(entries.map(([, probe]) => withinProbeTime(probe())));
          const status = Object.fromEntries(entries.map(([name], i) => [name, results[i]!.status === 'fulfilled' ? 'ok' : 'unavailable']));
          const ready = results.every((result) => result.status === 'fulfilled');
          return Response.json({ ready, ...status }, { status: ready ? 200 : 503 });
        },
      }),
    ],
  });
  // Over node:http (http.ts), whole-response cache hits are answered before Yoga.
  // So are compiled reads and mutations Yoga has validated before.
  setRequestListener(
    yoga,
    answerHitsFirst(
      yoga,
      responses,
      yoga.graphqlEndpoint,
      (params, request) => answerCompiled(services, params) ?? mutations.answer(params, request),
    ),
  );
  return yoga;
}
