import type { z } from 'zod';
import { ValidationError } from './errors.js';

/** Parses input with a zod schema; the first problem becomes a VALIDATION error naming its field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? formatPath(issue.path) : null;
  throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field);
}

/** `['items', 1, 'quantity']` → `items[1].quantity`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Row ids are UUIDs; anything else cannot name a row (and must not reach PostgreSQL as a uuid). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
