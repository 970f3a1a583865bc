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

const storage = new AsyncLocalStorage<StatementLog>();

export function recordStatement(sql: string): void {
  storage.getStore()?.statements.push(sql);
}

export function runWithStatementLog<T>(log: StatementLog, fn: () => T): T {
  return storage.run(log, fn);
}

export async function collectStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const log: StatementLog = { statements: [] };
  const result = await storage.run(log, fn);
  return { result, statements: log.statements };
}
