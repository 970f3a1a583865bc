/**
 * The name of the unique constraint a failed statement violated, or null.
 * Drizzle wraps driver errors, and postgres.js and PGlite name the field
 * differently, so walk the cause chain and accept both spellings.
 */
export function violatedUniqueConstraint(error: unknown): string | null {
  for (let current = error; current instanceof Error || isRecord(current); current = (current as { cause?: unknown }).cause) {
    const candidate = current as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (candidate.code === '23505') {
      const name = candidate.constraint_name ?? candidate.constraint;
      return typeof name === 'string' ? name : '';
    }
    if (!('cause' in candidate)) break;
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
