import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../db/schema.js';
import { isUuid } from '../validation.js';

/** One table as a collection of the world document. */
export interface Collection {
  name: string;
  columns: PgColumn[];
  /** The columns whose values, joined with ':', key a row: `id`, or else the primary key. */
  keyColumns: PgColumn[];
  /** column → the collection it references. */
  references: Map<string, string>;
}

function collectionOf(table: PgTable): Collection {
  const config = getTableConfig(table);
  const id = config.columns.find((column) => column.name === 'id');
  const primary = config.primaryKeys[0]?.columns ?? config.columns.filter((column) => column.primary);
  const references = new Map<string, string>();
  for (const foreignKey of config.foreignKeys) {
    const reference = foreignKey.reference();
    if (reference.columns.length === 1) references.set(reference.columns[0]!.name, getTableConfig(reference.foreignTable).name);
  }
  return { name: config.name, columns: config.columns, keyColumns: id ? [id] : primary, references };
}

/**
 * Every application table (src/db/schema.ts; drizzle's migrations journal is not one of
 * them), referenced collections before the collections that reference them, then by name.
 */
export const COLLECTIONS: Collection[] = (() => {
  const all = Object.values(schema)
    .map((table) => collectionOf(table as PgTable))
    .sort((a, b) => a.name.localeCompare(b.name));
  const ordered: Collection[] = [];
  while (ordered.length < all.length) {
    const next = all.find(
      (c) => !ordered.includes(c) && [...c.references.values()].every((r) => r === c.name || ordered.some((o) => o.name === r)),
    );
    if (!next) throw new Error('cyclic foreign keys between tables');
    ordered.push(next);
  }
  return ordered;
})();

export const COLLECTION_BY_NAME = new Map(COLLECTIONS.map((c) => [c.name, c]));

/** A row's key in the document. */
export function keyOf(collection: Collection, row: Record<string, unknown>): string {
  return collection.keyColumns.map((column) => String(row[column.name])).join(':');
}

const INT32 = 2 ** 31;

/** Why a JSON value cannot be stored in this column, or null when it can. */
export function problemWith(column: PgColumn, value: unknown): string | null {
  if (value === undefined) return 'is missing';
  if (value === null) return column.notNull ? 'must not be null' : null;
  const type = column.columnType;
  const length = (column as { length?: number }).length;
  switch (type) {
    case 'PgUUID':
      return typeof value === 'string' && isUuid(value) ? null : 'must be a UUID string';
    case 'PgVarchar':
    case 'PgChar':
    case 'PgText':
      if (typeof value !== 'string') return 'must be a string';
      return length && value.length > length ? `must be at most ${length} characters` : null;
    case 'PgInteger':
    case 'PgSmallInt':
    case 'PgSerial':
      return Number.isInteger(value) && Math.abs(value as number) < INT32 ? null : 'must be a 32-bit integer';
    case 'PgBigInt53':
    case 'PgBigSerial53':
      return Number.isSafeInteger(value) ? null : 'must be an integer';
    case 'PgBoolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'PgTimestamp':
    case 'PgTimestampString':
    case 'PgDate':
    case 'PgDateString':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? null : 'must be an ISO-8601 time string';
    case 'PgArray':
      return Array.isArray(value) ? null : 'must be an array';
    case 'PgReal':
    case 'PgDoublePrecision':
      return typeof value === 'number' ? null : 'must be a number';
    default:
      // jsonb and json hold any value; other types are checked by PostgreSQL, in the same transaction.
      return null;
  }
}
