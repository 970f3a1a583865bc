import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { Context } from '../context.js';
import { relations } from '../db/relations.js';
import { UnauthenticatedError } from '../errors.js';
import DatabaseOutagePlugin from './outage-plugin.js';

export interface PothosTypes {
  Context: Context;
  DrizzleRelations: typeof relations;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
  AuthScopes: {
    /** A signed-in player: a valid session. Ownership is checked by the domain, under its lock. */
    player: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}

const upperFirst = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export const builder = new SchemaBuilder<PothosTypes>({
  // Errors first, so a refusal from scope-auth becomes the field's UnauthenticatedError member;
  // then PostgreSQL outages, so they become its ServiceUnavailableError member.
  plugins: [ErrorsPlugin, DatabaseOutagePlugin, ScopeAuthPlugin, RelayPlugin, DrizzlePlugin],
  scopeAuth: {
    // Resolves the session once per request; Redis being down surfaces as SERVICE_UNAVAILABLE.
    authScopes: async (ctx) => ({ player: (await ctx.viewerId()) !== null }),
    unauthorizedError: () => new UnauthenticatedError(),
    // A subscription is authorized once, when it starts.
    authorizeOnSubscribe: true,
  },
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  drizzle: {
    // Per request, so a test (or a transaction) can hand in its own client.
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
    maxConnectionSize: 100,
  },
  relay: {
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  errors: {
    // Success payloads join the union themselves: `... on AuthPayload { token }`.
    directResult: true,
    defaultUnionOptions: { name: ({ fieldName }) => `${upperFirst(fieldName)}Result` },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp in UTC, e.g. 2026-11-21T12:00:00.000Z',
  serialize: (value) => (value instanceof Date ? value : new Date(value)).toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime must be an ISO-8601 string');
    return date;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
});
