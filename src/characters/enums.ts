import { builder } from '../graphql/builder.js';
import { ATTRIBUTES, RANKS } from './tables.js';

const upperCaseValues = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((value) => [value.toUpperCase(), { value }])) as Record<Uppercase<T>, { value: T }>;

/** Ranks from low to high; stored lower-case, shown upper-case. */
export const RankEnum = builder.enumType('Rank', { values: upperCaseValues(RANKS) });

export const AttributeEnum = builder.enumType('Attribute', { values: upperCaseValues(ATTRIBUTES) });
