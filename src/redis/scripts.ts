import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script with its SHA1, run by `runScript`. */
export interface Script {
  lua: string;
  sha: string;
}

export const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * Runs a script by its SHA1 (EVALSHA), sending its text only when Redis does not have it yet
 * (NOSCRIPT: its first use, or after a restart or SCRIPT FLUSH), which caches it there. A hot
 * script's text then costs no bytes on the wire and no hashing in Redis. ioredis's
 * defineCommand does the same, but for a script with a varying number of keys the in-process
 * stand-in (ioredis-mock) takes the key count for a key; EVALSHA works on both.
 */
export async function runScript(redis: Redis, { lua, sha }: Script, numKeys: number, ...args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.eval(lua, numKeys, ...args);
  }
}
