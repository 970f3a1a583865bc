// A bare node:http server answering a benchmark workload at the physical limit:
//   p1: the body Guildhall returns for a character, from one Redis GET (as a Buffer, written
//       as it arrives; the id is found in the body by a regular expression, not JSON.parse);
//   p2: the characters page, from one hand-written statement via postgres.js, prepared (a
//       named statement, parsed and planned once per connection) and returning the body
//       as text, so its 160 KB arrive as raw bytes that are written as they are (a json
//       column would be parsed by postgres.js and stringified again by the server);
//   p3: bondEssence, as the same locked transaction written by hand with postgres.js;
//   p4: assignDrink, as the tavern's Lua script run directly (EVALSHA) after one GET of the game;
//   p7: leaderboard around(radius: 5), from one ZREVRANK and one ZREVRANGE.
// Usage: node --import tsx test/bench/baseline-server.ts p1|p2|p3|p4|p7 PORT URL
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { ASSIGN, IDLE_TTL_SECONDS, channelKey, drinksKey, gameKey, playerDrinksKey } from '../../src/tavern/tavern.js';
import { P2_SQL } from './workloads.js';

const [mode, port, url] = process.argv.slice(2);

async function readBody(request: import('node:http').IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

const ID_IN_BODY = /"id"\s*:\s*"([^"]+)"/;

let answer: (body: string, headers: import('node:http').IncomingHttpHeaders) => Promise<string | Buffer | null>;
if (mode === 'p1') {
  const redis = new Redis(url!);
  answer = async (body) => redis.getBuffer(`bench:p1:${ID_IN_BODY.exec(body)?.[1]}`);
} else if (mode === 'p3') {
  // bondEssence's statements (src/essences/bond.ts, src/progress/achievements.ts), prepared.
  const sql = postgres(url!, { max: 10 });
  type Achievement = { id: string; target: number };
  const bondedAchievements = (
    await sql<{ data: { id: string; criteria: { type: string; target: number } } }[]>`select data from achievements`
  )
    .map((row) => row.data)
    .filter((data) => data.criteria.type === 'essences_bonded')
    .map((data): Achievement => ({ id: data.id, target: data.criteria.target }));
  const ATTRIBUTES = new Set(['power', 'speed', 'spirit', 'recovery']);
  answer = async (body) => {
    const { input } = (JSON.parse(body) as { variables: { input: { characterId: string; essenceType: string; attribute: string } } })
      .variables;
    const attribute = input.attribute.toLowerCase();
    if (!ATTRIBUTES.has(attribute)) return null;
    const essenceId = await sql.begin(async (tx) => {
      const [character] = await tx`select * from characters where id = ${input.characterId} for update`;
      if (!character) return null;
      const bonded = await tx`select essence_type from character_essences where character_id = ${character.id}`;
      if (bonded.length >= 4 || bonded.some((row) => row.essence_type === input.essenceType)) return null;
      const [type] = await tx<{ data: { abilities: string[]; bonus: Record<string, number> } }[]>`
        select data from essence_types where id = ${input.essenceType}`;
      if (!type) return null;
      const [row] = await tx`
        insert into character_essences (character_id, essence_type, attribute_bound, rank_bonded)
        values (${character.id}, ${input.essenceType}, ${attribute}, ${character.rank}) returning id`;
      await tx`insert into character_abilities ${tx(
        type.data.abilities.map((name) => ({ character_id: character.id, essence_id: row!.id, ability_name: name })),
      )}`;
      await tx`update characters set ${tx(attribute)} = ${tx(attribute)} + ${type.data.bonus[attribute] ?? 0}, updated_at = now()
        where id = ${character.id}`;
      await tx`select id from players where id = ${character.player_id} for no key update`;
      const stored = new Map(
        (await tx`select * from player_achievements where player_id = ${character.player_id}`).map((a) => [a.achievement_id, a]),
      );
      const changed = bondedAchievements.flatMap((a) => {
        const current = stored.get(a.id)?.progress ?? 0;
        const progress = Math.min(a.target, Math.max(current, bonded.length + 1));
        if (progress === current) return [];
        const unlocked = stored.get(a.id)?.unlocked_at ?? (progress >= a.target ? new Date() : null);
        return [{ player_id: character.player_id, achievement_id: a.id, progress, unlocked_at: unlocked }];
      });
      if (changed.length > 0) {
        await tx`insert into player_achievements ${tx(changed)}
          on conflict (player_id, achievement_id) do update set progress = excluded.progress, unlocked_at = excluded.unlocked_at`;
      }
      return row!.id as string;
    });
    if (!essenceId) return null;
    return JSON.stringify({ data: { bondEssence: { __typename: 'BondEssencePayload', essence: { id: essenceId } } } });
  };
} else if (mode === 'p4') {
  // assignDrink's Redis work (src/tavern/tavern.ts): read the game, check the players, run ASSIGN.
  const redis = new Redis(url!);
  redis.defineCommand('assignDrink', { numberOfKeys: 5, lua: ASSIGN.lua });
  // ASSIGN answers [1] when the drink is written (five keys: nothing published, nothing read back).
  const assign = (redis as unknown as { assignDrink(...args: Array<string | number>): Promise<[number]> }).assignDrink.bind(redis);
  answer = async (body, headers) => {
    const from = String(headers['x-player-id']);
    const { input } = (JSON.parse(body) as { variables: { input: { gameId: string; toPlayerId: string } } }).variables;
    const raw = await redis.get(gameKey(input.gameId));
    if (!raw) return null;
    const game = JSON.parse(raw) as { id: string; channelId: string; status: string; participants: string[] };
    if (game.status !== 'active' || !game.participants.includes(from) || !game.participants.includes(input.toPlayerId)) return null;
    const drink = { id: randomUUID(), from, to: input.toPlayerId, reason: null, at: Date.now() };
    const [written] = await assign(
      gameKey(game.id),
      drinksKey(game.id),
      playerDrinksKey(from),
      playerDrinksKey(input.toPlayerId),
      channelKey(game.channelId),
      raw,
      drink.at,
      JSON.stringify(drink),
      game.id,
      IDLE_TTL_SECONDS,
    );
    if (written !== 1) return null;
    return JSON.stringify({ data: { assignDrink: { __typename: 'DrinkPayload', drink: { id: drink.id } } } });
  };
} else if (mode === 'p7') {
  const redis = new Redis(url!);
  answer = async (body) => {
    const { playerId, radius = 5 } = (JSON.parse(body) as { variables: { playerId: string; radius?: number } }).variables;
    const rank = await redis.zrevrank('leaderboard:global', playerId);
    const flat = rank === null ? [] : await redis.zrevrange('leaderboard:global', Math.max(0, rank - radius), rank + radius, 'WITHSCORES');
    const first = rank === null ? 0 : Math.max(0, rank - radius) + 1;
    const around = [];
    for (let i = 0; i < flat.length; i += 2) {
      around.push({ rank: first + i / 2, score: Math.floor(Number(flat[i + 1]) / 1e9), player: { id: flat[i] } });
    }
    return JSON.stringify({ data: { leaderboard: { around } } });
  };
} else {
  const sql = postgres(url!, { max: 10 });
  // A tagged-template call, which postgres.js prepares (unsafe() without parameters would
  // use the simple protocol, which never does); raw() hands over the column's bytes undecoded.
  const statement = Object.assign([P2_SQL], { raw: [P2_SQL] }) as unknown as TemplateStringsArray;
  answer = async () => {
    const [row] = await sql(statement).raw();
    return row![0] as Buffer;
  };
}

createServer(async (request, response) => {
  const body = await answer(await readBody(request), request.headers);
  response.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
  response.end(body ?? '{}');
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
