import { readFileSync } from 'node:fs';

/**
 * Polls `condition` until it holds; throws naming `what` once `timeoutMs` has passed. Timed with
 * performance.now(), so it still times out while a test holds the app's clock (vi.setSystemTime).
 */
export async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 5_000, intervalMs = 25) {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A process's resident memory in MB, from /proc. */
export function rssMb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
