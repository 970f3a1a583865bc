import { eq, or, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Executor } from '../db/client.js';
import { violatedUniqueConstraint } from '../db/errors.js';
import { ConflictError, InvalidCredentialsError } from '../errors.js';
import { characterIdsOf } from '../characters/characters.js';
import { parseInput } from '../validation.js';
import { assertLoginAllowed, clearFailedLogins, recordFailedLogin } from './login-limiter.js';
import { DECOY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { endSession, startSession } from './sessions.js';
import { players } from './tables.js';

const registerInput = z.object({
  username: z
    .string()
    .trim()
    .min(3, 'must be at least 3 characters')
    .max(50, 'must be at most 50 characters')
    .regex(/^[A-Za-z0-9_]+$/, 'may contain only letters, digits and underscores'),
  email: z.string().trim().toLowerCase().max(255, 'must be at most 255 characters').pipe(z.email('must be a valid email address')),
  // The upper bound keeps a megabyte "password" from tying up the hash.
  password: z.string().min(8, 'must be at least 8 characters').max(200, 'must be at most 200 characters'),
});

export interface Session {
  token: string;
  playerId: string;
}

export async function register(db: Executor, redis: Redis, input: z.input<typeof registerInput>): Promise<Session> {
  const { username, email, password } = parseInput(registerInput, input);
  const passwordHash = await hashPassword(password);
  let playerId: string;
  try {
    const [row] = await db.insert(players).values({ username, email, passwordHash }).returning({ id: players.id });
    playerId = row!.id;
  } catch (error) {
    const constraint = violatedUniqueConstraint(error);
    if (constraint === 'players_email_unique') throw new ConflictError('EMAIL_TAKEN', 'That email is already registered.');
    if (constraint !== null) throw new ConflictError('USERNAME_TAKEN', `The username "${username}" is taken.`);
    throw error;
  }
  return { token: await startSession(redis, playerId), playerId };
}

export interface LoginInput {
  login: string;
  password: string;
}

/** Logs in by username (any case) or email; failures are counted and rate-limited. */
export async function login(db: Executor, redis: Redis, input: LoginInput, clientAddress: string): Promise<Session> {
  const loginText = input.login.trim();
  const [player] = await db
    .select({ id: players.id, passwordHash: players.passwordHash })
    .from(players)
    .where(or(eq(sql`lower(${players.username})`, loginText.toLowerCase()), eq(players.email, loginText.toLowerCase())))
    .limit(1);
  const account = player?.id ?? `unknown:${loginText.toLowerCase()}`;
  await assertLoginAllowed(redis, account, clientAddress);

  const valid = await verifyPassword(input.password, player?.passwordHash ?? DECOY_HASH);
  if (!player || !valid) {
    await recordFailedLogin(redis, account, clientAddress);
    throw new InvalidCredentialsError();
  }
  await clearFailedLogins(redis, account);
  const token = await startSession(redis, player.id);
  await db.update(players).set({ lastLogin: new Date() }).where(eq(players.id, player.id));
  return { token, playerId: player.id };
}

export function logout(redis: Redis, token: string): Promise<boolean> {
  return endSession(redis, token);
}

/**
 * Deletes the player's account and everything it owns (the foreign keys cascade), after
 * checking the password again, and ends the current session. Returns the deleted
 * characters' ids so their cached reads can be dropped.
 */
export async function deleteAccount(
  db: Executor,
  redis: Redis,
  playerId: string,
  input: { password: string; sessionToken: string | null },
): Promise<{ playerId: string; characterIds: string[] }> {
  const [player] = await db.select({ passwordHash: players.passwordHash }).from(players).where(eq(players.id, playerId));
  if (!player || !(await verifyPassword(input.password, player.passwordHash))) throw new InvalidCredentialsError();
  const characterIds = await characterIdsOf(db, playerId);
  await db.delete(players).where(eq(players.id, playerId));
  if (input.sessionToken) await endSession(redis, input.sessionToken);
  return { playerId, characterIds };
}
