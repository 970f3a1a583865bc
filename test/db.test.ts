import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { players } from '../src/accounts/tables.js';
import { characters } from '../src/characters/tables.js';
import { connectPostgres, type DatabaseHandle } from '../src/db/client.js';
import { inOneBatch } from '../src/db/errors.js';
import { useTestApp } from './support/harness.js';

const app = useTestApp();

describe('statements on PostgreSQL', () => {
  // One connection, so the session that runs a statement is the one whose prepared statements are read back.
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connectPostgres(app.databaseUrl, { poolSize: 1, log: pino({ level: 'silent' }) });
  });
  afterAll(() => handle.close());

  const prepared = async () =>
    ((await handle.db.execute(sql`select statement from pg_prepared_statements`)) as unknown as Array<{ statement: string }>).map(
      (row) => row.statement,
    );

  it('a statement with parameters is prepared once per connection, inside transactions too; one without parameters is not', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (let i = 0; i < 3; i++) await handle.db.select().from(players).where(eq(players.id, id));
    await handle.db.transaction(async (tx) => {
      await tx.select({ id: characters.id }).from(characters).where(eq(characters.name, 'nobody'));
    });
    await handle.db.execute(sql`select 42 as unprepared_marker`);
    const statements = await prepared();
    expect(statements.filter((text) => text.includes('from "players" where "players"."id" = $1'))).toHaveLength(1);
    expect(statements.filter((text) => text.includes('from "characters" where "characters"."name" = $1'))).toHaveLength(1);
    expect(statements.filter((text) => text.includes('unprepared_marker'))).toHaveLength(0);
  });

  it('at most 500 distinct texts are ever prepared: clients cannot grow every connection without bound', async () => {
    // Each text differs (a client's selection shapes a relational read's text the same way).
    for (let i = 0; i < 520; i++) await handle.db.execute(sql`select ${i}::int as ${sql.raw(`shape_${i}`)}`);
    // postgres.js's own (its type lookup, commit) aside.
    const ours = (await prepared()).filter((text) => text.includes('$1'));
    expect(ours.length).toBeLessThanOrEqual(500);
    expect(ours.filter((text) => text.includes('shape_519'))).toHaveLength(0);
    expect(ours.filter((text) => /shape_0$/.test(text))).toHaveLength(1);
  });
});

describe('a batch of statements in one transaction (inOneBatch)', () => {
  const codeOf = (error: unknown) => {
    for (let current = error as { code?: string; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
      if (current.code) return current.code;
    }
    return undefined;
  };

  it("throws the statement that failed, not a later one's 'transaction aborted', however the promises settle", async () => {
    const failure = await app.database.db
      .transaction(async (tx) => {
        // The failing statement's rejection is made to settle last, as a longer promise chain would.
        const failing = tx.execute(sql`select 1 / 0`).catch(async (error: unknown) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw error;
        });
        await inOneBatch([
          tx.execute(sql`select 0`),
          failing,
          tx.execute(sql`select 1`),
          tx.execute(sql`update players set username = username where false`),
        ]);
      })
      .catch((error: unknown) => error);
    expect(codeOf(failure)).toBe('22012'); // division_by_zero; with Promise.all, the later statements' 25P02
  });

  it('waits for every statement before it throws, so none is still pending when the transaction rolls back', async () => {
    const settled: string[] = [];
    const failure = await app.database.db
      .transaction(async (tx) => {
        await inOneBatch([
          Promise.reject(new Error('refused before the reads answered')),
          tx.execute(sql`select pg_sleep(0.05)`).then(() => settled.push('slow read')),
        ]);
      })
      .catch((error: unknown) => error);
    expect((failure as Error).message).toBe('refused before the reads answered');
    expect(settled).toEqual(['slow read']);
  });
});
