import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartupError } from './config.js';
import { MIGRATIONS_FOLDER } from './db/client.js';
import type { Logger } from './logger.js';
import { SEEDS_DIR } from './reference/seed.js';

// The embedded database is prepared (created, migrated, seeded) in a child process, and only
// when the migrations or the seed files changed since it was last prepared. PGlite's
// WebAssembly memory only grows: a server that ran initdb, the migrations and the seed load
// itself would keep that peak for its whole life.

const PREPARED_FILE = 'guildhall-prepared';

/** A digest of everything preparation applies: the migrations and the seed files. */
export function preparationFingerprint(): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(MIGRATIONS_FOLDER, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const sql = join(MIGRATIONS_FOLDER, entry.name, 'migration.sql');
    if (entry.isDirectory() && existsSync(sql)) hash.update(entry.name).update(readFileSync(sql));
  }
  for (const file of readdirSync(SEEDS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    hash.update(file).update(readFileSync(join(SEEDS_DIR, file)));
  }
  return hash.digest('hex');
}

export function isPrepared(dataDir: string): boolean {
  const file = join(dataDir, PREPARED_FILE);
  return existsSync(file) && readFileSync(file, 'utf8') === preparationFingerprint();
}

export function markPrepared(dataDir: string): void {
  writeFileSync(join(dataDir, PREPARED_FILE), preparationFingerprint());
}

/** Prepares the embedded database in a child process unless it is current. */
export async function prepareEmbeddedDatabase(dataDir: string, log: Logger): Promise<void> {
  if (isPrepared(dataDir)) return;
  log.info({ dir: dataDir }, 'preparing the embedded database (migrations and reference data)');
  // Running from dist/ the CLI is JavaScript; from src/ (tsx, tests) it is TypeScript.
  const self = fileURLToPath(import.meta.url);
  const cli = join(self, '..', `embedded-prepare-cli${extname(self)}`);
  const args = extname(self) === '.ts' ? ['--import', 'tsx', cli] : [cli];
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, GUILDHALL_EMBEDDED_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    const reason = stderr.join('').trim().split('\n').at(-1) || `exit code ${code}`;
    throw new StartupError(`Could not prepare the embedded database in ${dataDir}: ${reason}`);
  }
}
