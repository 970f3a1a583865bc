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

// postgres.js's own codes for a connection that failed or went away, the socket errors it
// passes through, and PostgreSQL's: class 08 (connection exception), 57P01-57P03 (the server is
// shutting down, crashed or is starting up). Not CONNECTION_ENDED or _DESTROYED: those mean this
// process closed its own pool, which is a bug, not an outage.
const UNREACHABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * Whether a failed statement failed because PostgreSQL could not be reached (down, restarting,
 * the connection cut), rather than because of the statement. Walks Drizzle's cause chain.
 * Such a statement did not commit: a transaction cut before its COMMIT answered is rolled back.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  return codesOf(error).some((code) => UNREACHABLE_CODES.has(code) || code.startsWith('08'));
}

/** The error codes along Drizzle's cause chain (the driver's error sits a level or two down). */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; isRecord(current) && depth < 5; current = current.cause, depth++) {
    if (typeof current.code === 'string') codes.push(current.code);
  }
  return codes;
}

/**
 * Runs a read that must answer, retrying while PostgreSQL is unreachable (every 200 ms, 6 s in
 * all, about what a restart takes): a read back after a commit, whose write happened and should
 * not answer an error.
 */
export async function retryWhileUnreachable<T>(read: () => Promise<T>, attempts = 30, delayMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts || !isDatabaseUnreachable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** PostgreSQL's "current transaction is aborted": a statement that came after the one that failed. */
const TRANSACTION_ABORTED = '25P02';

const failedBecauseAborted = (error: unknown) => codesOf(error).includes(TRANSACTION_ABORTED);

/**
 * Statements of one transaction sent together (started in this order, so postgres.js pipelines
 * them and PostgreSQL runs them in it): waits until every one has answered, so nothing of the
 * batch is still pending when the caller goes on or the transaction rolls back, then throws
 * the failure that caused the others (the first in order that is not "transaction aborted").
 */
export async function inOneBatch<const T extends readonly unknown[]>(statements: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(statements);
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((error) => !failedBecauseAborted(error)) ?? failures[0];
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
