import type { z } from 'zod';
import type { Logger } from '../logger.js';

/**
 * Parses a JSON record read from Redis against its schema. A value that is not valid
 * JSON or has the wrong shape is logged (with `what` and its key) and read as null,
 * so one corrupt record never fails a request.
 */
export function parseRecord<T>(log: Logger, schema: z.ZodType<T>, key: string, value: string | null, what: string): T | null {
  if (value === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: fall through
  }
  log.warn({ key }, `unreadable ${what} in Redis; treating it as missing`);
  return null;
}
