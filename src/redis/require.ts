import { DomainError, ServiceUnavailableError } from '../errors.js';

/**
 * Runs work whose data lives only in Redis (sessions, drafts, games). A Redis
 * failure becomes SERVICE_UNAVAILABLE for the client; domain errors pass through.
 */
export async function requireRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new ServiceUnavailableError();
  }
}
