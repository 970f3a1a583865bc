import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';

/**
 * The benchmark fixture, in a few set-based statements: 1,000 players, 3,000 characters,
 * each with 2–4 essences, 3 abilities per essence and 20 inventory stacks. Loaded again
 * with another `prefix`, it adds as many again (the world benchmark scales it that way).
 */
export async function loadFixture(db: Database, prefix = ''): Promise<void> {
  await db.execute(sql`
    insert into players (username, email, password_hash)
    select ${prefix} || 'bench_' || g, ${prefix} || 'bench_' || g || '@bench.test', 'scrypt$not-a-real-hash'
    from generate_series(1, 1000) g`);
  await db.execute(sql`
    insert into characters (player_id, name, health, mana, stamina, created_at)
    select p.id, 'Hero ' || p.username || '-' || k, 100, 100, 100,
           now() - (row_number() over (order by p.username, k)) * interval '1 second'
    from players p, generate_series(1, 3) k
    where starts_with(p.username, ${prefix} || 'bench_')`);
  await db.execute(sql`
    insert into character_essences (character_id, essence_type, attribute_bound, rank_bonded)
    select c.id, (array['fire', 'water', 'earth', 'wind'])[e], 'power', 'normal'
    from (select id, row_number() over (order by id) as n from characters
          where not exists (select 1 from character_essences x where x.character_id = characters.id)) c, generate_series(1, 4) e
    where e <= 2 + (c.n % 3)`);
  await db.execute(sql`
    insert into character_abilities (character_id, essence_id, ability_name)
    select e.character_id, e.id, e.essence_type || ' technique ' || k
    from character_essences e, generate_series(1, 3) k
    where not exists (select 1 from character_abilities x where x.essence_id = e.id)`);
  await db.execute(sql`
    insert into character_inventory (character_id, item_id, quantity, slot)
    select c.id, (array['torch', 'iron_ore', 'minor_health_potion', 'goblin_ear', 'spirit_coin'])[1 + k % 5], k,
           case when k = 1 then 4 else null end
    from characters c, generate_series(1, 20) k
    where not exists (select 1 from character_inventory x where x.character_id = c.id)`);
  await db.execute(sql`analyze`);
}
