import { createReadStream } from 'node:fs';
import { JSONParser } from '@streamparser/json';
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import { COLLECTION_BY_NAME, COLLECTIONS, type Collection, keyOf, problemWith } from './collections.js';

/** The document was refused; `problems` name collection, key and field. Nothing was written. */
export class WorldDocumentError extends Error {
  override name = 'WorldDocumentError';
  constructor(readonly problems: string[]) {
    super(`The world document was refused; nothing was written.\n${problems.join('\n')}`);
  }
}

const MAX_PROBLEMS = 20;
const BATCH = 1000;

type Row = Record<string, unknown>;

const rowsOf = <T>(result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];

async function isEmpty(db: Executor, table: string): Promise<boolean> {
  const [row] = rowsOf<{ taken: boolean }>(await db.execute(sql`select exists (select 1 from ${sql.identifier(table)}) as taken`));
  return !row?.taken;
}

/**
 * Streams the rows of a world document, `{ collection: { key: row } }`, to `onRow`, one
 * chunk of the file at a time; `onRow` may return a promise to hold the stream back.
 */
async function streamRows(file: string, onRow: (collection: string, key: string, row: unknown) => void | Promise<void>): Promise<void> {
  const parser = new JSONParser({ paths: ['$.*.*'], keepStack: false });
  const found: Array<[string, string, unknown]> = [];
  let start: string | undefined;
  parser.onValue = ({ value, key, stack }) => {
    found.push([String(stack[1]?.key), String(key), value]);
  };
  for await (const chunk of createReadStream(file)) {
    // The document is an object keyed by collection: anything else is refused up front.
    start ??= (chunk as Buffer).toString('utf8').trimStart()[0];
    if (start !== undefined && start !== '{') throw new WorldDocumentError(['the document must be a JSON object keyed by collection']);
    try {
      parser.write(chunk as Buffer);
    } catch (error) {
      if (error instanceof WorldDocumentError) throw error;
      throw new WorldDocumentError([`not valid JSON: ${(error as Error).message}`]);
    }
    for (const [collection, key, row] of found.splice(0)) await onRow(collection, key, row);
  }
  if (!parser.isEnded) throw new WorldDocumentError(['not valid JSON: the document ends early']);
}

/** The keys already stored in the collections that others reference. */
async function storedKeys(db: Executor): Promise<Map<string, Set<string>>> {
  const referenced = new Set(COLLECTIONS.flatMap((c) => [...c.references.values()]));
  const keys = new Map<string, Set<string>>();
  for (const name of referenced) {
    const collection = COLLECTION_BY_NAME.get(name)!;
    const columns = sql.join(
      collection.keyColumns.map((column) => sql`${sql.identifier(column.name)}::text`),
      sql` || ':' || `,
    );
    const rows = rowsOf<{ key: string }>(await db.execute(sql`select ${columns} as key from ${sql.identifier(name)}`));
    keys.set(name, new Set(rows.map((row) => row.key)));
  }
  return keys;
}

function rowProblems(collection: Collection, key: string, row: unknown, keys: Map<string, Set<string>>): string[] {
  const at = (field: string, problem: string) => `${collection.name} "${key}": field "${field}": ${problem}`;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return [`${collection.name} "${key}": must be an object of fields`];
  const fields = row as Row;
  const problems: string[] = [];
  const known = new Set(collection.columns.map((column) => column.name));
  for (const field of Object.keys(fields)) if (!known.has(field)) problems.push(at(field, 'is not a column of this collection'));
  for (const column of collection.columns) {
    const problem = problemWith(column, fields[column.name]);
    if (problem) problems.push(at(column.name, problem));
  }
  if (problems.length === 0 && keyOf(collection, fields) !== key) {
    problems.push(at(collection.keyColumns.map((c) => c.name).join(':'), `does not match the key "${key}"`));
  }
  for (const [column, target] of collection.references) {
    const value = fields[column];
    if (value == null || problems.length > 0) continue;
    if (!keys.get(target)?.has(String(value)))
      problems.push(at(column, `refers to ${target} "${value}", which is not in the document before it nor stored`));
  }
  return problems;
}

/**
 * Reads the whole document and reports every problem (up to 20): unknown collections or
 * fields, missing fields, wrong types, keys that do not match their row, and references to
 * rows that neither precede them in the document nor are stored. Writes nothing.
 */
export async function validateWorld(db: Executor, file: string): Promise<Record<string, number>> {
  const problems: string[] = [];
  for (const table of ['players', 'characters'] as const) {
    if (!(await isEmpty(db, table))) problems.push(`${table}: the database already holds ${table}; import needs an empty world`);
  }
  const keys = await storedKeys(db);
  const counts: Record<string, number> = {};
  await streamRows(file, (name, key, row) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const collection = COLLECTION_BY_NAME.get(name);
    if (!collection) {
      problems.push(`${name}: not a collection of this world (known: ${COLLECTIONS.map((c) => c.name).join(', ')})`);
      return;
    }
    const found = rowProblems(collection, key, row, keys);
    problems.push(...found);
    if (found.length === 0) {
      counts[name] = (counts[name] ?? 0) + 1;
      keys.get(name)?.add(key);
    }
  });
  if (problems.length > 0) throw new WorldDocumentError(problems.slice(0, MAX_PROBLEMS));
  return counts;
}

function upsert(collection: Collection, rows: Row[]) {
  const table = sql.identifier(collection.name);
  const keys = sql.join(
    collection.keyColumns.map((column) => sql.identifier(column.name)),
    sql`, `,
  );
  const updates = sql.join(
    collection.columns.map((column) => sql`${sql.identifier(column.name)} = excluded.${sql.identifier(column.name)}`),
    sql`, `,
  );
  return sql`insert into ${table} select * from json_populate_recordset(null::${table}, ${JSON.stringify(rows)}::json)
    on conflict (${keys}) do update set ${updates}`;
}

/**
 * Validates the document (WorldDocumentError, nothing written), then writes it in one
 * transaction, upserting every row by its key, batch by batch as the file streams past.
 */
export async function importWorld(db: Database, file: string): Promise<Record<string, number>> {
  const counts = await validateWorld(db, file);
  await db.transaction(async (tx) => {
    let batch: Row[] = [];
    let current: Collection | undefined;
    const flush = async () => {
      if (current && batch.length > 0) await tx.execute(upsert(current, batch));
      batch = [];
    };
    await streamRows(file, async (name, _key, row) => {
      const collection = COLLECTION_BY_NAME.get(name)!;
      if (collection !== current || batch.length >= BATCH) await flush();
      current = collection;
      batch.push(row as Row);
    });
    await flush();
  });
  return counts;
}
