// The Node version the README and .nvmrc name installs cleanly: npm warns EBADENGINE for a
// locked package whose `engines.node` excludes the running Node, so none may.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// semver is npm's own range logic; it is in the tree (hoisted) through many packages.
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean };

interface Lockfile {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}

describe('installing on the Node version the project names', () => {
  it('every package in package-lock.json accepts this Node, so npm ci prints no EBADENGINE', () => {
    const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as Lockfile;
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return range && !semver.satisfies(process.version, range) ? [`${path}@${entry.version}: node ${range}`] : [];
    });
    expect(refusing).toEqual([]);
    expect(readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim()).toBe(process.version.slice(1).split('.')[0]);
  });
});
