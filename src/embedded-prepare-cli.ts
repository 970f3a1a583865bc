// Run by src/embedded.ts in a child process: creates, migrates and seeds the embedded
// database in GUILDHALL_EMBEDDED_DIR, then records what it applied.
import { StartupError } from './config.js';
import { openPglite } from './db/client.js';
import { markPrepared } from './embedded.js';
import { createLogger } from './logger.js';
import { seedReferenceData } from './reference/seed.js';

const dir = process.env.GUILDHALL_EMBEDDED_DIR;
try {
  if (!dir) throw new StartupError('GUILDHALL_EMBEDDED_DIR is not set');
  const log = createLogger('warn');
  const database = await openPglite(dir, { log });
  try {
    await database.migrate();
    await seedReferenceData(database.db, null, log);
  } finally {
    await database.close();
  }
  markPrepared(dir);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
