import { hash } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import { Readable } from 'node:stream';
import { getOperationAST, Kind, parse, print, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { REQUEST_LIMITS } from '../limits.js';
import { isUuid } from '../validation.js';
import { CHARACTER_TTL_SECONDS, characterKey, RESPONSE_FIELD_PREFIX } from '../cache/keys.js';
import type { FillGuard, ReadCache } from '../cache/read-cache.js';
import { uncoveredFields } from '../graphql/freshness.js';

/**
 * Whole-response cache for the hottest read, a query whose only root field is
 * `character(id)`. The response is stored in the character's own hash (`character:{id}`),
 * so every write that drops the character's planned reads drops these too, under the same
 * epoch and version guards; it also records `game:version`, since a response can embed
 * reference records. A hit skips parsing, validation and execution; over HTTP
 * (`answerHitsFirst`) it skips Yoga altogether.
 *
 * A response is the same for every caller unless it selects `email` (visible to its
 * owner only): such documents are cached only for anonymous requests, which see null.
 */
interface Plan {
  /** The document as graphql-js prints it: whitespace and comment variants share one entry. */
  normalized: string;
  idArgument: { variable: string } | { literal: string };
  selectsEmail: boolean;
  /** Tells this plan's entries of `CharacterResponses.fields` from other plans'; 0 for a plan not kept. */
  serial: number;
}

const MAX_PLANS = 500;
/** Fields remembered per plan and variables, each for variables of at most MAX_FIELD_VARIABLES characters. */
const MAX_FIELDS = 10_000;
const MAX_FIELD_VARIABLES = 256;
/** A longer document is planned again on each request rather than kept (the body limit is 1 MiB). */
const MAX_PLAN_TEXT = 16_384;

function planFor(schema: GraphQLSchema, query: string, operationName: string | undefined, serial: number): Plan | null {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: REQUEST_LIMITS.maxTokens });
  } catch {
    return null;
  }
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query' || operation.directives?.length) return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD || root.name.value !== 'character' || root.directives?.length) return null;
  const id = root.arguments?.find((arg) => arg.name.value === 'id')?.value;
  const idArgument = id?.kind === Kind.VARIABLE ? { variable: id.name.value } : id?.kind === Kind.STRING ? { literal: id.value } : null;
  if (!idArgument) return null;
  // Only a response whose every field some change invalidates may be stored.
  if (uncoveredFields(schema, document).length > 0) return null;
  let selectsEmail = false;
  visit(document, {
    Field(node) {
      if (node.name.value === 'email') selectsEmail = true;
    },
  });
  return { normalized: print(document), idArgument, selectsEmail, serial };
}

export interface Params {
  query?: unknown;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The cache's two ways in: a Yoga plugin (every request Yoga serves, GET included, and
 * the fills after execution), and `answerHitsFirst`, which answers POSTed hits on the
 * node:http server before Yoga sees the request.
 */
export class CharacterResponses {
  private readonly plans = new Map<string, Plan | null>();
  private plansMade = 0;
  /**
   * Response fields by plan and variables. Hashing the whole text (the printed document) took
   * about 6% of a warm read's CPU (measured: npm run bench, P1 profile); a repeated read looks
   * its field up instead. Bounded in number and in size (variables longer than 256 characters,
   * which a request may pad, are hashed every time); the oldest entry goes first.
   */
  private readonly fields = new Map<string, string>();
  private readonly pending = new WeakMap<Request, FillGuard>();

  constructor(
    private readonly cache: ReadCache,
    private readonly schema: GraphQLSchema,
  ) {}

  private planOf(query: string, operationName: string | undefined): Plan | null {
    // Serial 0: a plan not kept, whose fields are not remembered either.
    if (query.length > MAX_PLAN_TEXT) return planFor(this.schema, query, operationName, 0);
    const planKey = `${operationName ?? ''}\u0000${query}`;
    let plan = this.plans.get(planKey);
    if (plan === undefined) {
      plan = planFor(this.schema, query, operationName, ++this.plansMade);
      if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(planKey, plan);
    }
    return plan;
  }

  /**
   * Where a request's response is stored (`character:{id}`, one field per document and
   * variables), or null when it is not cached. A document that selects `email` is cached
   * for anonymous requests only.
   */
  entryOf(params: Params, signedIn: boolean): { key: string; field: string } | null {
    if (typeof params.query !== 'string') return null;
    const plan = this.planOf(params.query, params.operationName ?? undefined);
    if (!plan || (plan.selectsEmail && signedIn)) return null;
    const id = 'literal' in plan.idArgument ? plan.idArgument.literal : params.variables?.[plan.idArgument.variable];
    if (typeof id !== 'string' || !isUuid(id)) return null;
    const variables = JSON.stringify(params.variables ?? {});
    const known = plan.serial > 0 && variables.length <= MAX_FIELD_VARIABLES ? `${plan.serial}\u0000${variables}` : null;
    let field = known === null ? undefined : this.fields.get(known);
    if (field === undefined) {
      // One-shot hashing (no Hash object): the same digest as createHash('sha1').update(…).digest('base64url').
      field = `${RESPONSE_FIELD_PREFIX}${hash('sha1', `${params.operationName ?? ''}\u0000${plan.normalized}\u0000${variables}`, 'base64url')}`;
      if (known !== null) {
        if (this.fields.size >= MAX_FIELDS) this.fields.delete(this.fields.keys().next().value!);
        this.fields.set(known, field);
      }
    }
    return { key: characterKey(id), field };
  }

  /** The stored response body of a POSTed request, byte for byte as Yoga sent it; null unless it is a valid hit. */
  async storedBody(params: Params, signedIn: boolean): Promise<Buffer | null> {
    const entry = this.entryOf(params, signedIn);
    return entry && this.cache.storedBytes('response', entry.key, entry.field);
  }

  plugin(): Plugin {
    const { cache, pending } = this;
    return {
      onParams: async ({ params, request, setResult }) => {
        if (request.method !== 'POST' && request.method !== 'GET') return;
        const entry = this.entryOf(params, request.headers.has('authorization'));
        if (!entry) return;
        const found = await cache.lookup<ExecutionResult>('response', entry.key, entry.field, { gameVersion: true });
        if (found && 'value' in found) setResult(found.value);
        else if (found) pending.set(request, found.guard);
      },
      onExecute({ args }) {
        const request = (args.contextValue as { request?: Request }).request;
        const guard = request && pending.get(request);
        if (!guard) return;
        return {
          onExecuteDone({ result }) {
            const single = result as ExecutionResult;
            if ('errors' in single && single.errors?.length) return;
            if (!('data' in single) || !single.data) return;
            return cache.fill(guard, { data: single.data }, CHARACTER_TTL_SECONDS);
          },
        };
      },
    };
  }
}

/** Only the parameters Yoga reads from a JSON body, with the types it accepts; anything else goes to Yoga. */
function isPlainParams(value: unknown): value is Params {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const [name, item] of Object.entries(value)) {
    if (
      name === 'query'
        ? typeof item !== 'string'
        : name === 'operationName'
          ? item !== null && typeof item !== 'string'
          : name !== 'variables'
    ) {
      return false;
    }
    if (name === 'variables' && item !== null && (typeof item !== 'object' || Array.isArray(item))) return false;
  }
  return true;
}

const JSON_BODY = /^application\/(graphql\+)?json\s*(;|$)/i;

/** Accept headers for which Yoga answers `application/json; charset=utf-8`. */
const PLAIN_JSON_ACCEPTS = new Set([undefined, '*/*', 'application/json']);

/** A POSTed request's parameters; null for a body Yoga should see (not JSON, or more than these). */
function paramsOf(body: Buffer): Params | null {
  try {
    const params: unknown = JSON.parse(body.toString('utf8'));
    return isPlainParams(params) ? params : null;
  } catch {
    return null;
  }
}

/** Answers a request before Yoga with the body Yoga would send, or null (or a promise of null) to hand it to Yoga. */
export type EarlyAnswer = (params: Params, request: IncomingMessage) => Promise<Buffer | string | null> | null;

/**
 * A node:http request listener that answers whole-response cache hits itself (one Redis
 * round trip, the stored bytes written as they arrive), then whatever `early` answers (a
 * compiled read or a mutation Yoga has validated before: graphql/sql-json.ts,
 * server/known-mutations.ts), and hands every other request to `next` (Yoga). It answers only what Yoga would have answered with the same bytes and
 * headers: a POST to `endpoint` with a declared JSON body within the body limit, no
 * Origin (CORS headers stay Yoga's) and an Accept Yoga answers with plain JSON. Every
 * stored response passed Yoga's guard, validation and execution when it was filled, for
 * the same document and variables, so no limit that would refuse the request is skipped.
 * The body it read goes on to Yoga when it is not a hit.
 */
export function answerHitsFirst(
  next: RequestListener,
  responses: CharacterResponses,
  endpoint: string,
  early: EarlyAnswer,
): RequestListener {
  return (request, response) => {
    const { headers } = request;
    const length = Number(headers['content-length']);
    if (
      request.method !== 'POST' ||
      request.url !== endpoint ||
      !(length > 0 && length <= REQUEST_LIMITS.maxBodyBytes) ||
      !JSON_BODY.test(headers['content-type'] ?? '') ||
      headers.origin !== undefined ||
      !PLAIN_JSON_ACCEPTS.has(headers.accept)
    ) {
      next(request, response);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('error', () => response.destroy());
    request.once('end', async () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const params = paramsOf(body);
      const answer =
        params &&
        ((await responses.storedBody(params, headers.authorization !== undefined).catch(() => null)) ??
          (await early(params, request)?.catch(() => null)));
      if (answer) {
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
        response.end(answer);
        return;
      }
      // @whatwg-node/server builds the Request from a body already read when it is on `body`;
      // as a stream (a Buffer there would be walked key by key, one key per byte).
      (request as IncomingMessage & { body?: Readable }).body = Readable.from([body]);
      next(request, response);
    });
  };
}

const listeners = new WeakMap<object, RequestListener>();

/** Registers the node:http listener to serve `yoga` with (yoga.ts does, for its cache). */
export function setRequestListener(yoga: object, listener: RequestListener): void {
  listeners.set(yoga, listener);
}

/** The node:http listener for `yoga`: its registered one, or Yoga itself. */
export function requestListenerOf<T extends RequestListener>(yoga: T): RequestListener {
  return listeners.get(yoga) ?? yoga;
}
