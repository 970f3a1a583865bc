import { inArray } from 'drizzle-orm';
import { PLAYER_TTL_SECONDS, profileKey } from '../cache/keys.js';
import type { ReadCache } from '../cache/read-cache.js';
import type { Executor } from '../db/client.js';
import { players } from './tables.js';

/** What anyone may see of a player. Never the email or the password hash. */
export interface PublicProfile {
  id: string;
  username: string;
  createdAt: string;
  lastLogin: string | null;
}

/**
 * Batch load of public profiles for a DataLoader: one MGET of `user:{id}:profile`, one
 * `WHERE id IN (…)` for the misses, one script to fill Redis. Null for an id with no player.
 */
export async function loadProfiles(db: Executor, cache: ReadCache, ids: readonly string[]): Promise<Array<PublicProfile | null>> {
  const profiles = await cache.readMany<PublicProfile>(
    'profile',
    ids.map(profileKey),
    async (missingKeys) => {
      const missing = missingKeys.map((key) => key.slice('user:'.length, -':profile'.length));
      const rows = await db
        .select({ id: players.id, username: players.username, createdAt: players.createdAt, lastLogin: players.lastLogin })
        .from(players)
        .where(inArray(players.id, missing));
      return new Map(
        rows.map((row) => [
          profileKey(row.id),
          { id: row.id, username: row.username, createdAt: row.createdAt.toISOString(), lastLogin: row.lastLogin?.toISOString() ?? null },
        ]),
      );
    },
    PLAYER_TTL_SECONDS,
  );
  return profiles.map((profile) => profile ?? null);
}
