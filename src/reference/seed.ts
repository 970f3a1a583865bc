import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { PROJECT_ROOT } from '../paths.js';
import { publishGameVersion } from '../invalidation.js';
import { applySeeds, readGameDataVersion, type SeedReport } from './load.js';
import { readSeeds } from './validate.js';

export const SEEDS_DIR = join(PROJECT_ROOT, 'seeds');

/**
 * Validates the seed files (throwing SeedValidationError before anything is written),
 * applies them in one transaction, then invalidates the Redis copies. The cache is
 * invalidated even when nothing changed, so a re-run repairs a missed invalidation.
 */
export async function seedReferenceData(
  db: Database,
  redis: Redis | null,
  log: Logger,
  dir: string = SEEDS_DIR,
): Promise<{ report: SeedReport; version: string }> {
  const seeds = await readSeeds(dir);
  const report = await applySeeds(db, seeds);
  const version = await readGameDataVersion(db);
  if (redis) {
    await publishGameVersion(redis, version).catch((error: Error) => {
      throw new Error(
        `reference data applied, but Redis could not be invalidated (${error.message}); run db:seed again once Redis is back`,
      );
    });
  }
  log.info({ version, report }, 'reference data seeded');
  return { report, version };
}
