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

/**
 * Like requireRedis, for reads that are safe to repeat: a connection error is retried
 * with backoff (50, 150, 450 ms) before the request gives up with SERVICE_UNAVAILABLE.
 * Writes are not retried: a write whose reply was lost may have happened.
 */
export async function requireRedisRead<T>(read: () => Promise<T>, delaysMs: readonly number[] = [50, 150, 450]): Promise<T> {
  for (const delay of delaysMs) {
    try {
      return await read();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return requireRedis(read);
}
