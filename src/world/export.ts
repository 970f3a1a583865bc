import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { COLLECTIONS, type Collection } from './collections.js';

const BATCH = 2000;

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
const ident = (name: string) => sql.identifier(name);

/** One page of a collection, in key order, after the row keyed by `after` (its key column values). */
function pageQuery(collection: Collection, after: string[] | null): SQL {
  const keys = collection.keyColumns;
  const keyList = sql.join(
    keys.map((column) => sql`t.${ident(column.name)}`),
    sql`, `,
  );
  const keyText = sql.join(
    keys.map((column, i) => sql`t.${ident(column.name)}::text as ${ident(`k${i}`)}`),
    sql`, `,
  );
  const where = after
    ? sql`where (${keyList}) > (${sql.join(
        keys.map((column, i) => sql`${after[i]}::${sql.raw(column.getSQLType())}`),
        sql`, `,
      )})`
    : sql``;
  return sql`select ${keyText}, row_to_json(t)::text as "row" from ${ident(collection.name)} t ${where} order by ${keyList} limit ${BATCH}`;
}

/**
 * Writes the whole world as one JSON document, `{ "<collection>": { "<key>": {row} } }`,
 * collection after collection and page after page (flat memory), inside one read-only
 * snapshot so the document is consistent. Rows are PostgreSQL's own JSON (row_to_json) in
 * UTC, so an export of an imported document is byte-identical to it.
 */
export async function exportWorld(db: Database, file: string): Promise<Record<string, number>> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const counts: Record<string, number> = {};
  await db.transaction(
    async (tx) => {
      await tx.execute(sql`set local time zone 'UTC'`);
      await write('{');
      for (const [index, collection] of COLLECTIONS.entries()) {
        await write(`${index ? ',' : ''}\n${JSON.stringify(collection.name)}: {`);
        let after: string[] | null = null;
        let count = 0;
        for (;;) {
          const rows = rowsOf(await tx.execute(pageQuery(collection, after)));
          for (const row of rows) {
            const key = collection.keyColumns.map((_, i) => row[`k${i}`]!).join(':');
            await write(`${count++ ? ',' : ''}\n${JSON.stringify(key)}: ${row.row}`);
          }
          if (rows.length < BATCH) break;
          const last = rows[rows.length - 1]!;
          after = collection.keyColumns.map((_, i) => last[`k${i}`]!);
        }
        counts[collection.name] = count;
        await write(count ? '\n}' : '}');
      }
      await write('\n}\n');
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  out.end();
  await once(out, 'finish');
  return counts;
}
