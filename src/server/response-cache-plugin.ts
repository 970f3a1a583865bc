import { createHash } from 'node:crypto';
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
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
 * reference records. A hit skips parsing, validation and execution.
 *
 * A response is the same for every caller unless it selects `email` (visible to its
 * owner only): such documents are cached only for anonymous requests, which see null.
 */
interface Plan {
  /** The document as graphql-js prints it: whitespace and comment variants share one entry. */
  normalized: string;
  idArgument: { variable: string } | { literal: string };
  selectsEmail: boolean;
}

const MAX_PLANS = 500;

function planFor(schema: GraphQLSchema, query: string, operationName: string | undefined): Plan | null {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: REQUEST_LIMITS.maxTokens });
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
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
  return { normalized: print(document), idArgument, selectsEmail };
}

export function useCharacterResponseCache(cache: ReadCache, schema: GraphQLSchema): Plugin {
  const plans = new Map<string, Plan | null>();
  const pending = new WeakMap<Request, FillGuard>();
  const planOf = (query: string, operationName: string | undefined) => {
    const planKey = `${operationName ?? ''}\u0000${query}`;
    let plan = plans.get(planKey);
    if (plan === undefined) {
      plan = planFor(schema, query, operationName);
      if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
      plans.set(planKey, plan);
    }
    return plan;
  };

  return {
    async onParams({ params, request, setResult }) {
      if (typeof params.query !== 'string' || (request.method !== 'POST' && request.method !== 'GET')) return;
      const plan = planOf(params.query, params.operationName ?? undefined);
      if (!plan || (plan.selectsEmail && request.headers.has('authorization'))) return;
      const id = 'literal' in plan.idArgument ? plan.idArgument.literal : params.variables?.[plan.idArgument.variable];
      if (typeof id !== 'string' || !isUuid(id)) return;
      const field = `${RESPONSE_FIELD_PREFIX}${createHash('sha1')
        .update(`${params.operationName ?? ''}\u0000${plan.normalized}\u0000${JSON.stringify(params.variables ?? {})}`)
        .digest('base64url')}`;
      const found = await cache.lookup<ExecutionResult>('response', characterKey(id), field, { gameVersion: true });
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
