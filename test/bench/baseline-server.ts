// A bare node:http server answering a benchmark workload at the physical limit:
//   p1: the body Guildhall returns for a character, from one Redis GET;
//   p2: the characters page, from one hand-written json_agg statement via postgres.js;
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

let answer: (body: string) => Promise<string | null>;
if (mode === 'p1') {
  const redis = new Redis(url!);
  answer = async (body) => redis.get(`bench:p1:${(JSON.parse(body) as { variables: { id: string } }).variables.id}`);
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
  answer = async () => {
    const [row] = await sql.unsafe(P2_SQL);
    return JSON.stringify(row!.body);
  };
}

createServer(async (request, response) => {
  const body = await answer(await readBody(request));
  response.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
  response.end(body ?? '{}');
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
