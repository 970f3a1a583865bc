import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../src/config.js';
import { lockDataDir } from '../src/db/data-dir-lock.js';
import { markPrepared } from '../src/embedded.js';
import { freePort } from './support/throwaway.js';

// What a person sees when the server cannot start: one line naming the problem, exit code 1.

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-startup-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data folder whose embedded database is locked by another live process (kill `holder` when done). */
function heldDataFolder() {
  const dataRoot = tempDir();
  const pglite = join(dataRoot, 'pglite');
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  spawnSync('mkdir', ['-p', pglite]);
  writeFileSync(join(pglite, 'guildhall.lock'), String(holder.pid));
  return { dataRoot, pglite, holder };
}

function runServer(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('start-up errors', () => {
  it('a busy port is one line naming the port, exit 1, and the database folder is never created', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, resolve));
    const dataDir = join(tempDir(), 'never-created');
    try {
      const result = runServer({ PORT: String(port), DATA_DIR: dataDir });
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(`Port ${port} is already in use: stop the program using it, or set PORT to another port.`);
      expect(spawnSync('test', ['-e', dataDir]).status).toBe(1);
    } finally {
      blocker.close();
    }
  });

  it('an unreachable PostgreSQL is one line with the masked URL, exit 1', async () => {
    const port = await freePort();
    const result = runServer({ PORT: '0', DATABASE_URL: `postgres://guild:s3cret-pass@127.0.0.1:${port}/guildhall` });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Cannot reach PostgreSQL at postgres://guild:\\*\\*\\*@127\\.0\\.0\\.1:${port}/guildhall: `));
    expect(result.stderr).not.toContain('s3cret-pass');
  });
});

describe('the embedded data folder lock', () => {
  it('refuses a second process while the first holds it, with a message naming the owner', () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      writeFileSync(join(dir, 'guildhall.lock'), String(holder.pid));
      expect(() => lockDataDir(dir)).toThrow(`is in use by another Guildhall process (pid ${holder.pid})`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock left by a process that is gone, and releases it on close', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'guildhall.lock'), '999999999');
    const release = lockDataDir(dir);
    expect(() => lockDataDir(join(dir))).not.toThrow(); // our own pid: a re-open in this process is allowed
    release();
    expect(spawnSync('test', ['-e', join(dir, 'guildhall.lock')]).status).toBe(1);
  });

  it('a second server on a held data folder is one line naming the holder, exit 1', () => {
    const { dataRoot, pglite, holder } = heldDataFolder();
    try {
      markPrepared(pglite); // so the server goes straight to opening the database
      const result = runServer({ PORT: '0', DATA_DIR: dataRoot });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `The embedded database in ${pglite} is in use by another Guildhall process (pid ${holder.pid}). Stop it first, or set DATA_DIR to another folder.`,
      ]);
    } finally {
      holder.kill();
    }
  });

  it('db:seed refuses to open the embedded database while a server holds it', () => {
    const { dataRoot, holder } = heldDataFolder();
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/reference/seed-cli.ts'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataRoot },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`is in use by another Guildhall process (pid ${holder.pid})`);
    } finally {
      holder.kill();
    }
  });
});

describe('.env', () => {
  it('is loaded when present, and variables already in the environment win', () => {
    const file = join(tempDir(), '.env');
    writeFileSync(file, 'GUILDHALL_TEST_FROM_FILE=file\nGUILDHALL_TEST_BOTH=file\n');
    process.env.GUILDHALL_TEST_BOTH = 'environment';
    loadDotEnv(file);
    expect(process.env.GUILDHALL_TEST_FROM_FILE).toBe('file');
    expect(process.env.GUILDHALL_TEST_BOTH).toBe('environment');
    loadDotEnv(join(tempDir(), 'missing.env')); // no file: nothing happens
  });
});
