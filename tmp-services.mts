import { startThrowawayServices } from './test/support/throwaway.ts';
import { connectPostgres } from './src/db/client.ts';
import { createLogger } from './src/logger.ts';
const s = await startThrowawayServices();
const db = await connectPostgres(s.postgresAdminUrl, { poolSize: 1, log: createLogger('silent') });
await db.migrate(); await db.close();
console.log(s.postgresAdminUrl, s.redisUrl);
process.on('SIGTERM', () => { s.stop(); process.exit(0); });
setInterval(() => {}, 1000);
