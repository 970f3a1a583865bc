import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
// Type modules register themselves on the builder.
import './errors.js';
import '../accounts/graphql.js';
import '../characters/graphql.js';
import '../drafts/graphql.js';
import '../essences/graphql.js';
import '../inventory/graphql.js';
import '../live-state/graphql.js';
import '../quests/graphql.js';
import '../reference/graphql.js';
import '../social/graphql.js';
import '../tavern/graphql.js';
import '../progress/graphql.js';

export const schema: GraphQLSchema = builder.toSchema({ sortSchema: true });

/** The SDL committed as schema.graphql, which the frontend's codegen reads. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
