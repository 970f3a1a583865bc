import type { IncomingMessage } from 'node:http';
import { type DocumentNode, type ExecutionResult, execute, getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createContext, type Services } from '../context.js';
import type { Params } from './response-cache-plugin.js';
import { refusedArgumentIn, refusedTextIn } from './request-guard-plugin.js';

// At most this many documents (the oldest make way), each at most this long: a syntax tree with
// its tokens takes about 60 bytes per character of text, so all of them stay within about 12 MB
// however many distinct mutations clients send.
const MAX_KNOWN = 100;
const MAX_KNOWN_TEXT = 2_048;
const knownKey = (operationName: string | null | undefined, text: string) => `${operationName ?? ''}\u0000${text}`;

interface Known {
  document: DocumentNode;
  /** The operation's name, as the metrics plugin counts it. */
  name: string | undefined;
}

export interface KnownMutationOptions {
  services: Services;
  schema: GraphQLSchema;
  /** As for Yoga's context: how many proxies in front append to X-Forwarded-For. */
  trustProxy: number;
  clientAddressOf(forwardedFor: string | undefined, socketAddress: string | undefined, trustProxy: number): string;
  /** How Yoga masks an execution result's errors (its maskedErrors, with its logging). */
  mask(error: unknown): GraphQLError;
}

/**
 * Mutations answered on node:http without Yoga, once Yoga has run them. For a small write,
 * Yoga's part of a request (a Fetch Request and Response around it, parsing, validation and
 * the plugins' hooks) cost about a third of the server's CPU (measured: npm run bench, P3
 * and P4). A mutation's document is kept, parsed, when Yoga has validated it (the depth,
 * alias, cost and token limits included) and is about to execute it; a request with the same
 * operation name and text then runs through graphql-js directly, with the context, metrics
 * and refused-text check Yoga's plugins give it. What Yoga would answer otherwise is left to
 * Yoga, and nothing runs twice:
 * - variables with text PostgreSQL refuses, or that graphql-js cannot coerce, go to Yoga
 *   before anything runs, and it refuses them as always;
 * - a result with errors (masked as Yoga masks them) is handed to Yoga to send, with the
 *   status and headers it gives errors.
 */
export class KnownMutations {
  private readonly known = new Map<string, Known>();
  /** Results a known mutation produced that Yoga sends (see `plugin`), by request. */
  private readonly handedOver = new WeakMap<IncomingMessage, ExecutionResult>();

  constructor(private readonly options: KnownMutationOptions) {}

  /** Once execution has begun nothing may reject (Yoga would run the mutation again): a mask that throws gives a plain error. */
  private readonly mask = (error: unknown): GraphQLError => {
    try {
      return this.options.mask(error);
    } catch {
      return new GraphQLError('Unexpected error.');
    }
  };

  /** Records validated mutations, and sends the results handed over to Yoga. */
  plugin(): Plugin<Record<string, never>, { req?: IncomingMessage }> {
    return {
      onParams: ({ context, setResult }) => {
        const result = context.req && this.handedOver.get(context.req);
        if (result) setResult(result);
      },
      onExecute: ({ args }) => {
        const params = (args.contextValue as { params?: Params }).params;
        if (typeof params?.query !== 'string' || params.query.length > MAX_KNOWN_TEXT) return;
        const operation = getOperationAST(args.document, args.operationName);
        // A literal the request guard refuses is refused on every run: not worth keeping.
        if (operation?.operation !== 'mutation' || refusedArgumentIn(args.document)) return;
        const key = knownKey(params.operationName, params.query);
        if (this.known.has(key)) return;
        if (this.known.size >= MAX_KNOWN) this.known.delete(this.known.keys().next().value!);
        this.known.set(key, { document: args.document, name: operation.name?.value });
      },
    };
  }

  /**
   * The body to answer a POSTed request with, or null to hand it to Yoga: when it is not a known
   * mutation, when nothing ran (Yoga refuses it as always), or with a result for Yoga to send.
   */
  async answer(params: Params, request: IncomingMessage): Promise<string | null> {
    if (typeof params.query !== 'string') return null;
    const known = this.known.get(knownKey(params.operationName, params.query));
    const variables = params.variables ?? {};
    // The document's literals were checked when it was kept; the variables are this request's.
    if (!known || refusedTextIn(variables, '')) return null;
    const { services, schema, trustProxy, clientAddressOf } = this.options;
    const { mask } = this;
    const forwardedFor = request.headers['x-forwarded-for'];
    const contextValue = createContext(
      services,
      request.headers.authorization ?? null,
      clientAddressOf(Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor, request.socket.remoteAddress, trustProxy),
    );
    const started = performance.now();
    let result: ExecutionResult;
    try {
      result = await execute({
        schema,
        document: known.document,
        variableValues: variables,
        contextValue,
        operationName: params.operationName,
      });
    } catch (error) {
      // graphql-js turns resolver failures into errors in the result; should it throw anyway, a
      // resolver may have run, so the request must not run again: Yoga sends the masked error.
      this.handedOver.set(request, { errors: [mask(error)] });
      return null;
    }
    // No data: a request error (variables graphql-js could not coerce), raised before any resolver ran.
    if (!('data' in result)) return null;
    try {
      services.metrics.observeOperation(known.name, contextValue.statements.count, (performance.now() - started) / 1000);
      if (result.errors?.length) {
        this.handedOver.set(request, { ...result, errors: result.errors.map(mask) });
        return null;
      }
      const body = JSON.stringify(result);
      services.metrics.answeredBeforeYoga.inc({ way: 'mutation' });
      return body;
    } catch (error) {
      // Whatever fails from here on, the mutation ran: Yoga sends the masked error, it never runs it again.
      this.handedOver.set(request, { errors: [mask(error)] });
      return null;
    }
  }
}
