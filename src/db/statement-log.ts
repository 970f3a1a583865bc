import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Collects the SQL statements issued inside one unit of work (a GraphQL operation, a test
 * step). Drizzle's logger reports each statement.
 *
 * A request's statements are counted in its context (`Context.statements`): its database
 * handle counts into it (db/client.ts `recordingInto`), so the metrics count them without
 * any async context tracking (a count, not the texts: a subscription's context lives as long
 * as the subscription). The AsyncLocalStorage scopes below are for tests and tools
 * that count around code they call (`collectStatements`). They are never entered while
 * serving: once one is, Node runs an async hook on every promise the process creates, about
 * 5% of a small write's CPU and 7% of what it allocates (measured: npm run bench, P4, CPU and
 * allocation profiles).
 */
export interface StatementLog {
  statements: string[];
}

/** How many statements a request has run. */
export interface StatementCount {
  count: number;
}

// Scopes nest (a test counting around a request that the metrics plugin also counts):
// a statement is recorded in every enclosing scope.
interface Scope {
  log: StatementLog;
  outer: Scope | undefined;
}

const storage = new AsyncLocalStorage<Scope>();

/** Records a statement in every enclosing scope, and counts it for the request whose handle ran it. */
export function recordStatement(sql: string, request?: StatementCount): void {
  if (request) request.count++;
  for (let scope = storage.getStore(); scope; scope = scope.outer) scope.log.statements.push(sql);
}

export function runWithStatementLog<T>(log: StatementLog, fn: () => T): T {
  return storage.run({ log, outer: storage.getStore() }, fn);
}

export async function collectStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const log: StatementLog = { statements: [] };
  const result = await runWithStatementLog(log, fn);
  return { result, statements: log.statements };
}
