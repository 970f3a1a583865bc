// A bare node:http server answering a benchmark workload at the physical limit:
//   p1: the body Guildhall returns for a character, from one Redis GET (GETBUFFER: the
//       stored bytes are written as they arrive, never decoded to a string);
//   p2: the characters page, from one hand-written statement via postgres.js, prepared (a
//       named statement, parsed and planned once per connection) and returning the body
//       as text, so its 160 KB arrive as raw bytes that are written as they are (a json
//       column would be parsed by postgres.js and stringified again by the server);
//   p7: leaderboard around(radius: 5), from one ZREVRANK and one ZREVRANGE.
// Usage: node --import tsx test/bench/baseline-server.ts p1|p2|p7 PORT URL
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { P2_SQL } from './workloads.js';

const [mode, port, url] = process.argv.slice(2);

async function readBody(request: import('node:http').IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

let answer: (body: string) => Promise<string | Buffer | null>;
if (mode === 'p1') {
  const redis = new Redis(url!);
  answer = async (body) => redis.getBuffer(`bench:p1:${(JSON.parse(body) as { variables: { id: string } }).variables.id}`);
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
  const body = await answer(await readBody(request));
  response.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
  response.end(body ?? '{}');
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
