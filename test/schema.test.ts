import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSortedSchema } from '../src/graphql/schema.js';

describe('schema.graphql', () => {
  it('matches the schema the server builds (run `npm run schema:print` after an API change)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSortedSchema());
  });

  it('never exposes a password hash', () => {
    expect(printSortedSchema()).not.toMatch(/password_?hash/i);
  });

  it('carries the error contract: an Error interface with code and message, and union results', () => {
    const sdl = printSortedSchema();
    expect(sdl).toContain('interface Error {\n  code: ErrorCode!\n  message: String!\n}');
    expect(sdl).toMatch(/union RegisterResult = .*AuthPayload/);
    expect(sdl).toMatch(/union LoginResult = .*AuthPayload/);
    expect(sdl).toMatch(/union CreateCharacterResult = .*CreateCharacterPayload/);
  });
});
