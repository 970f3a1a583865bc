import { builder } from './builder.js';

/**
 * A GraphQL enum over values stored lower-case (`'iron'`, `'main_hand'`), shown upper-case
 * (`IRON`, `MAIN_HAND`): the one way domains expose their stored enums.
 */
export function storedEnum<const T extends string>(name: string, values: readonly T[], description?: string) {
  const mapped = Object.fromEntries(values.map((value) => [value.toUpperCase(), { value }])) as Record<Uppercase<T>, { value: T }>;
  return builder.enumType(name, { values: mapped, description });
}
