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

/**
 * The P2 response as one statement that returns it as text, byte for byte what Guildhall
 * sends: objects from row_to_json (compact, keys in the order GraphQL prints them), lists
 * joined with string_agg. (json_build_object and json_agg would put spaces and newlines
 * in the text, so their body would have to be parsed and printed again.)
 */
export const P2_SQL = `
select '{"data":{"characters":{"edges":[' || coalesce(string_agg(edge.body, ',' order by c.created_at, c.id), '') || ']}}}' as body
from (select * from characters order by created_at, id limit 50) c
join players p on p.id = c.player_id
cross join lateral (
  select '{"node":' || row_to_json(node)::text || '}' as body
  from (
    select c.id, c.name, upper(c.rank) as rank,
      (select row_to_json(a) from (select c.power, c.speed, c.spirit, c.recovery) a) as attributes,
      (select row_to_json(pl) from (select p.id, p.username) pl) as player,
      (select ('[' || coalesce(string_agg(row_to_json(es)::text, ',' order by e.created_at, e.id), '') || ']')::json
        from character_essences e
        cross join lateral (
          select e.id, e.essence_type as "essenceType",
            (select ('[' || coalesce(string_agg(row_to_json(ab)::text, ',' order by a.created_at, a.id), '') || ']')::json
              from character_abilities a cross join lateral (select a.id, a.ability_name as "abilityName") ab
              where a.essence_id = e.id) as abilities
        ) es
        where e.character_id = c.id) as essences,
      (select ('[' || coalesce(string_agg(row_to_json(iv)::text, ',' order by i.created_at, i.id), '') || ']')::json
        from character_inventory i cross join lateral (select i.id, i.item_id as "itemId", i.quantity, i.slot) iv
        where i.character_id = c.id) as inventory
  ) node
) edge`;

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
