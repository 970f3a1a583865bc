import type { Redis } from 'ioredis';
import { RateLimitedError } from '../errors.js';
import { requireRedis } from '../redis/require.js';

/**
 * Limits password guesses per account (the player id, or the login text when it names no
 * account) and per client address, in fixed windows. Each attempt is counted before the
 * password is checked, in one script with the check, so concurrent guesses cannot slip
 * past the limit; a successful login takes its attempt back and clears the account's count.
 */
export const LOGIN_LIMITS = {
  windowSeconds: 15 * 60,
  perAccount: 5,
  perAddress: 20,
} as const;

const accountKey = (account: string) => `ratelimit:login:account:${account}`;
const addressKey = (address: string) => `ratelimit:login:address:${address}`;

// KEYS: account, address. ARGV: their limits, the window. Returns 0 (counted) or the seconds to wait.
const ATTEMPT = `
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl > 0 then return ttl end
    return tonumber(ARGV[3])
  end
end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
end
return 0`;

// KEYS: account, address.
const FORGIVE = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1`;

/** Counts a login attempt, or refuses it with RATE_LIMITED when the account or address is at its limit. */
export async function countLoginAttempt(redis: Redis, account: string, address: string): Promise<void> {
  const { perAccount, perAddress, windowSeconds } = LOGIN_LIMITS;
  const wait = await requireRedis(
    () => redis.eval(ATTEMPT, 2, accountKey(account), addressKey(address), perAccount, perAddress, windowSeconds) as Promise<number>,
  );
  if (wait > 0) throw new RateLimitedError(wait);
}

/** After a correct password: the attempt was no failure. */
export async function forgiveLoginAttempt(redis: Redis, account: string, address: string): Promise<void> {
  await requireRedis(() => redis.eval(FORGIVE, 2, accountKey(account), addressKey(address)));
}
