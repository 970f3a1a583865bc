// Vitest global setup: throwaway PostgreSQL and Redis servers on loopback, for one test run.
// Each test file gets its own database (cloned from a migrated, seeded template) and its own Redis db index.
import { sql } from 'drizzle-orm';
import type { TestProject } from 'vitest/node';
import { connectPostgres } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { seedReferenceData } from '../../src/reference/seed.js';
import { startThrowawayServices } from './throwaway.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    postgresTemplate: string;
    redisBaseUrl: string;
  }
}

const TEMPLATE = 'guildhall_template';

export default async function setup(project: TestProject) {
  const services = await startThrowawayServices({ redisDatabases: 64 });
  const log = createLogger('silent');
  const admin = await connectPostgres(services.postgresAdminUrl, { poolSize: 1, log });
  await admin.db.execute(sql.raw(`CREATE DATABASE ${TEMPLATE}`));
  await admin.close();
  const template = await connectPostgres(services.postgresAdminUrl.replace(/\/postgres$/, `/${TEMPLATE}`), { poolSize: 1, log });
  await template.migrate();
  // Every test database starts with the reference data of seeds/ (essence types, items, …).
  await seedReferenceData(template.db, null, log);
  await template.close();

  project.provide('postgresAdminUrl', services.postgresAdminUrl);
  project.provide('postgresTemplate', TEMPLATE);
  project.provide('redisBaseUrl', services.redisUrl);
  return () => services.stop();
}
