import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('defaults to the embedded mode on port 4000 when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, LOG_LEVEL: 'info', NODE_ENV: 'development', LIVE_STATE_FLUSH_MS: 2000 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'forty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/guildhall'],
    ['REDIS_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['TRUST_PROXY', 'maybe'],
    ['CORS_ORIGINS', 'not an origin'],
    ['METRICS_TOKEN', 'short'],
    ['GRAPHQL_INTROSPECTION', 'yes'],
    ['LIVE_STATE_FLUSH_MS', '99'],
    ['LIVE_STATE_FLUSH_MS', '9001'],
    ['LIVE_STATE_FLUSH_MS', 'soon'],
  ])('refuses %s=%s with a one-line message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(`^Invalid environment variable ${name}: [^\\n]+$`));
  });

  it('accepts LIVE_STATE_FLUSH_MS from 100 to 9000', () => {
    expect(loadConfig({ LIVE_STATE_FLUSH_MS: '100' }).LIVE_STATE_FLUSH_MS).toBe(100);
    expect(loadConfig({ LIVE_STATE_FLUSH_MS: '9000' }).LIVE_STATE_FLUSH_MS).toBe(9000);
  });

  it('never echoes a bad value, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://admin:s3cret@db/guildhall' })).toThrowError(/^(?!.*s3cret)/);
  });

  it('the server process exits 1 with that single line on stderr', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'forty' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid environment variable PORT: must be a port number');
  });
});
