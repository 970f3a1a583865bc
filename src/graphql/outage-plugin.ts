import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { isDatabaseUnreachable } from '../db/errors.js';
import { ServiceUnavailableError } from '../errors.js';

/** PostgreSQL unreachable (down, restarting, the connection cut): the refusal a client can act on. */
export function asServiceUnavailable(error: unknown): unknown {
  return isDatabaseUnreachable(error) ? new ServiceUnavailableError('The game database is briefly unavailable. Try again shortly.') : error;
}

/**
 * Turns a root field's failure to reach PostgreSQL into SERVICE_UNAVAILABLE. Listed right after
 * the errors plugin, so it wraps the resolver inside it: fields whose result union has
 * ServiceUnavailableError answer that member; others carry the code in `extensions`
 * (src/server/yoga.ts maps what reaches it the same way).
 */
class DatabaseOutagePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.parentType !== 'Query' && fieldConfig.parentType !== 'Mutation') return resolver;
    return (parent, args, context, info) => {
      try {
        const result = resolver(parent, args, context, info) as unknown;
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw asServiceUnavailable(error);
            })
          : result;
      } catch (error) {
        throw asServiceUnavailable(error);
      }
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      databaseOutage: DatabaseOutagePlugin<Types>;
    }
  }
}

const pluginName = 'databaseOutage';
SchemaBuilder.registerPlugin(pluginName, DatabaseOutagePlugin);
export default pluginName;
