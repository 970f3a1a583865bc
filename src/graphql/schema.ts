import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
// Type modules register themselves on the builder.
import './errors.js';
import '../accounts/types.js';
import '../characters/types.js';
import '../characters/state-types.js';
import '../drafts/types.js';
import '../essences/types.js';
import '../inventory/types.js';
import '../progress/types.js';
import '../reference/types.js';
import '../tavern/types.js';

export const schema: GraphQLSchema = builder.toSchema({ sortSchema: true });

/** The SDL committed as schema.graphql, which the frontend's codegen reads. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
