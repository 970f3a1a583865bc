// npm run bench:start: how long `npm start` takes to answer its first query, and its idle RSS,
// embedded (on a fresh .data, then on a restart) and in services mode. Run `npm run build` first
// (npm install does it). Prints a table and writes bench-results/start-<time>.json.
import { spawn } from 'node:child_process';
import { rssMb } from '../support/wait.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startThrowawayServices } from '../support/throwaway.js';

const START_ARGS = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start.split(' ').slice(1) as string[];

/** Starts the server as `npm start` runs it; resolves with the time to its first answered query and its RSS once idle. */
async function measure(env: Record<string, string>): Promise<{ firstAnswerMs: number; idleRssMb: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, START_ARGS, {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ races { id name } }' }),
      }).catch(() => null);
      if (answer?.ok && ((await answer.json()) as { data?: unknown }).data) break;
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const firstAnswerMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    return { firstAnswerMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'guildhall-start-'));
const results: Record<string, { firstAnswerMs: number; idleRssMb: number }> = {};
try {
  results.embeddedFresh = await measure({ DATA_DIR: dataDir });
  results.embeddedRestart = await measure({ DATA_DIR: dataDir });
  const services = await startThrowawayServices();
  try {
    results.servicesFirst = await measure({ DATABASE_URL: services.postgresAdminUrl, REDIS_URL: services.redisUrl });
    results.servicesRestart = await measure({ DATABASE_URL: services.postgresAdminUrl, REDIS_URL: services.redisUrl });
  } finally {
    await services.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log('| start | first answer (ms) | idle RSS (MB) |\n|---|---|---|');
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${r.firstAnswerMs.toFixed(0)} | ${r.idleRssMb.toFixed(0)} |`);
mkdirSync('bench-results', { recursive: true });
writeFileSync(join('bench-results', `start-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(results, null, 2));
