import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { players } from '../src/accounts/tables.js';
import { characters } from '../src/characters/tables.js';
import { connectPostgres, type DatabaseHandle } from '../src/db/client.js';
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
