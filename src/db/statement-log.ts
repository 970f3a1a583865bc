import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Collects the SQL statements issued inside one unit of work (a GraphQL
 * operation, a test step). Drizzle's logger reports each statement; the
 * AsyncLocalStorage scope decides which unit it belongs to, so concurrent
 * requests never mix their counts.
 */
export interface StatementLog {
  statements: string[];
}

// Scopes nest (a test counting around a request that the metrics plugin also counts):
// a statement is recorded in every enclosing scope.
interface Scope {
  log: StatementLog;
  outer: Scope | undefined;
}

const storage = new AsyncLocalStorage<Scope>();

export function recordStatement(sql: string): void {
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
