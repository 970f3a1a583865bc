import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';

/**
 * The benchmark fixture, in a few set-based statements: `players` players (1,000 by
 * default), 3 characters each, each with 2–4 essences, 3 abilities per essence and 20
 * inventory stacks. Loaded again with another `prefix`, it adds as many again (the world
 * benchmark scales it that way).
 *
 * Every id is derived from the row's name (an md5 as a uuid) and every timestamp is fixed,
 * so the same fixture gives byte-identical responses in every run (test/responses.test.ts
 * compares them against stored bodies).
 */
export async function loadFixture(db: Database, prefix = '', players = 1000): Promise<void> {
  await db.execute(sql`
    insert into players (id, username, email, password_hash, created_at)
    select md5(${prefix} || 'bench_' || g)::uuid, ${prefix} || 'bench_' || g, ${prefix} || 'bench_' || g || '@bench.test',
           'scrypt$not-a-real-hash', timestamptz '2026-01-01 00:00:00+00'
    from generate_series(1, ${players}::int) g`);
  await db.execute(sql`
    insert into characters (id, player_id, name, health, mana, stamina, created_at, updated_at)
    select md5('Hero ' || p.username || '-' || k)::uuid, p.id, 'Hero ' || p.username || '-' || k, 100, 100, 100,
           timestamptz '2026-01-01 00:00:00+00' - (row_number() over (order by p.username, k)) * interval '1 second',
           timestamptz '2026-01-01 00:00:00+00'
    from players p, generate_series(1, 3) k
    where starts_with(p.username, ${prefix} || 'bench_')`);
  await db.execute(sql`
    insert into character_essences (id, character_id, essence_type, attribute_bound, rank_bonded, created_at)
    select md5(c.id || '/essence/' || e)::uuid, c.id, (array['fire', 'water', 'earth', 'wind'])[e], 'power', 'normal',
           timestamptz '2026-01-01 00:00:00+00' + e * interval '1 millisecond'
    from (select id, row_number() over (order by name) as n from characters
          where not exists (select 1 from character_essences x where x.character_id = characters.id)) c, generate_series(1, 4) e
    where e <= 2 + (c.n % 3)`);
  await db.execute(sql`
    insert into character_abilities (id, character_id, essence_id, ability_name, created_at)
    select md5(e.id || '/ability/' || k)::uuid, e.character_id, e.id, e.essence_type || ' technique ' || k,
           timestamptz '2026-01-01 00:00:00+00' + k * interval '1 millisecond'
    from character_essences e, generate_series(1, 3) k
    where not exists (select 1 from character_abilities x where x.essence_id = e.id)`);
  await db.execute(sql`
    insert into character_inventory (id, character_id, item_id, quantity, slot, created_at)
    select md5(c.id || '/item/' || k)::uuid, c.id, (array['torch', 'iron_ore', 'minor_health_potion', 'goblin_ear', 'spirit_coin'])[1 + k % 5], k,
           case when k = 1 then 4 else null end, timestamptz '2026-01-01 00:00:00+00' + k * interval '1 millisecond'
    from characters c, generate_series(1, 20) k
    where not exists (select 1 from character_inventory x where x.character_id = c.id)`);
  await db.execute(sql`analyze`);
}
