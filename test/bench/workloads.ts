// The benchmark workloads: the GraphQL documents Guildhall serves, and the hand-written
// single statement the P2 baseline answers with.

export const P1_QUERY = `query BenchP1($id: ID!) {
  character(id: $id) {
    id name rank health mana stamina
    attributes { power speed spirit recovery }
    player { id username }
    essences { id essenceType attributeBound rankBonded abilities { id abilityName currentRank awakened } }
    abilities { id abilityName currentRank awakened }
    inventory { id itemId quantity slot }
  }
}`;

export const P2_QUERY = `query BenchP2 {
  characters(first: 50) {
    edges {
      node {
        id name rank
        attributes { power speed spirit recovery }
        player { id username }
        essences { id essenceType abilities { id abilityName } }
        inventory { id itemId quantity slot }
      }
    }
  }
}`;

/** P3: a write that locks a character, checks its slots and writes an essence, its abilities and achievements. */
export const P3_QUERY = `mutation BenchP3($input: BondEssenceInput!) {
  bondEssence(input: $input) { __typename ... on BondEssencePayload { essence { id } } ... on Error { code message } }
}`;

/** P4: a drink in a running tavern game (Redis), with the drinks_assigned progress it advances (PostgreSQL). */
export const P4_QUERY = `mutation BenchP4($input: AssignDrinkInput!) {
  assignDrink(input: $input) { __typename ... on DrinkPayload { drink { id } } ... on Error { code message } }
}`;

/** The P2 response as one json_agg statement, keys in the order GraphQL prints them. */
export const P2_SQL = `
select json_build_object('data', json_build_object('characters', json_build_object('edges', coalesce(json_agg(
  json_build_object('node', json_build_object(
    'id', c.id, 'name', c.name, 'rank', upper(c.rank),
    'attributes', json_build_object('power', c.power, 'speed', c.speed, 'spirit', c.spirit, 'recovery', c.recovery),
    'player', json_build_object('id', p.id, 'username', p.username),
    'essences', (
      select coalesce(json_agg(json_build_object(
        'id', e.id, 'essenceType', e.essence_type,
        'abilities', (
          select coalesce(json_agg(json_build_object('id', a.id, 'abilityName', a.ability_name) order by a.created_at, a.id), '[]')
          from character_abilities a where a.essence_id = e.id)
      ) order by e.created_at, e.id), '[]')
      from character_essences e where e.character_id = c.id),
    'inventory', (
      select coalesce(json_agg(json_build_object('id', i.id, 'itemId', i.item_id, 'quantity', i.quantity, 'slot', i.slot)
        order by i.created_at, i.id), '[]')
      from character_inventory i where i.character_id = c.id)
  )) order by c.created_at, c.id), '[]')))) as body
from (select * from characters order by created_at, id limit 50) c
join players p on p.id = c.player_id`;

/** Picks ranks 0..n-1 with probability proportional to 1/(rank+1)^s. */
export function zipfSampler(n: number, s = 1.0, random = Math.random): () => number {
  const cdf: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) cdf.push((total += 1 / k ** s));
  return () => {
    const target = random() * total;
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
