import type { Redis } from 'ioredis';
import { RateLimitedError } from '../errors.js';
import { requireRedis } from '../redis/require.js';

/**
 * Counts failed logins per account (the player id, or the login text when it
 * names no account) and per client address in fixed windows.
 * Once either count reaches its limit, logins for it are refused (even with the
 * right password) until the window ends; a successful login clears the account's count.
 */
export const LOGIN_LIMITS = {
  windowSeconds: 15 * 60,
  perAccount: 5,
  perAddress: 20,
} as const;

const accountKey = (account: string) => `ratelimit:login:account:${account}`;
const addressKey = (address: string) => `ratelimit:login:address:${address}`;

export async function assertLoginAllowed(redis: Redis, account: string, address: string): Promise<void> {
  const keys = [accountKey(account), addressKey(address)] as const;
  const [byAccount, byAddress] = await requireRedis(() => redis.mget(...keys));
  const blocked =
    Number(byAccount ?? 0) >= LOGIN_LIMITS.perAccount ? keys[0] : Number(byAddress ?? 0) >= LOGIN_LIMITS.perAddress ? keys[1] : null;
  if (!blocked) return;
  const ttl = await requireRedis(() => redis.ttl(blocked));
  throw new RateLimitedError(ttl > 0 ? ttl : LOGIN_LIMITS.windowSeconds);
}

export async function recordFailedLogin(redis: Redis, account: string, address: string): Promise<void> {
  await requireRedis(async () => {
    const results = await redis
      .multi()
      .incr(accountKey(account))
      .expire(accountKey(account), LOGIN_LIMITS.windowSeconds, 'NX')
      .incr(addressKey(address))
      .expire(addressKey(address), LOGIN_LIMITS.windowSeconds, 'NX')
      .exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  });
}

export async function clearFailedLogins(redis: Redis, account: string): Promise<void> {
  await requireRedis(() => redis.del(accountKey(account)));
}
