import {
  type DocumentNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { ChangeType } from '../invalidation.js';

// What makes each field stale, read from the `staleOn` extensions that types and fields
// declare (src/invalidation.ts). The whole-response cache asks this before it stores a
// response, and test/freshness.test.ts walks every field a character read can reach.

type Freshness = ChangeType[] | 'parent' | 'live';

interface StaleExtensions {
  staleOn?: Freshness;
  staleOnAllFields?: boolean;
}

// Fields Pothos exposes straight from the parent row, and plugin-drizzle relations: they are
// as fresh as the type they belong to. Fields with their own resolver declare their own.
const fromParentRow = (field: GraphQLField<unknown, unknown>) =>
  'pothosExposedField' in field.extensions || 'pothosDrizzleLoaded' in field.extensions;

/**
 * The changes that make `type.field` stale; 'parent' for fields of value objects; 'live' for
 * fields read afresh every time (never cached); null when undeclared.
 */
export function fieldFreshness(type: GraphQLNamedType, field: GraphQLField<unknown, unknown>): Freshness | null {
  const own = (field.extensions as StaleExtensions).staleOn;
  if (own) return own;
  const typeLevel = type.extensions as StaleExtensions;
  if (!typeLevel.staleOn) return null;
  return typeLevel.staleOnAllFields || typeLevel.staleOn === 'parent' || fromParentRow(field) ? typeLevel.staleOn : null;
}

/**
 * `Type.field` names in a document whose response may not be stored whole: fields no change
 * covers, and fields read live (`__typename` is always fresh).
 */
export function uncoveredFields(schema: GraphQLSchema, document: DocumentNode): string[] {
  const typeInfo = new TypeInfo(schema);
  const uncovered = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (node.name.value.startsWith('__') || !parent) return;
        const name = `${parent.name}.${node.name.value}`;
        if (!field || (!isObjectType(parent) && !isInterfaceType(parent))) uncovered.add(name);
        else {
          const freshness = fieldFreshness(parent, field);
          if (freshness === null || freshness === 'live') uncovered.add(name);
        }
      },
    }),
  );
  return [...uncovered];
}

/** Every field reachable from `root` (through field types), with what makes it stale. */
export function reachableFields(schema: GraphQLSchema, root: string): Array<{ name: string; freshness: Freshness | null }> {
  const seen = new Set<string>();
  const fields: Array<{ name: string; freshness: Freshness | null }> = [];
  const queue = [root];
  while (queue.length > 0) {
    const type = schema.getType(queue.shift()!);
    if (!type || seen.has(type.name) || !(isObjectType(type) || isInterfaceType(type))) continue;
    seen.add(type.name);
    for (const field of Object.values(type.getFields())) {
      fields.push({ name: `${type.name}.${field.name}`, freshness: fieldFreshness(type, field) });
      queue.push(getNamedType(field.type).name);
    }
  }
  return fields;
}
