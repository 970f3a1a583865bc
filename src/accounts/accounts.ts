import { eq, or, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Database, Executor } from '../db/client.js';
import { violatedUniqueConstraint } from '../db/errors.js';
import { ConflictError, InvalidCredentialsError, UnauthenticatedError } from '../errors.js';
import { characterIdsOf } from '../characters/characters.js';
import { STRING_LIMITS } from '../limits.js';
import { parseInput } from '../validation.js';
import { countLoginAttempt, forgiveLoginAttempt } from './login-limiter.js';
import { DECOY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { endSession, endSessionsOf, startSession } from './sessions.js';
import { players } from './tables.js';

const registerInput = z.object({
  username: z
    .string()
    .trim()
    .min(3, 'must be at least 3 characters')
    .max(50, 'must be at most 50 characters')
    .regex(/^[A-Za-z0-9_]+$/, 'may contain only letters, digits and underscores'),
  email: z.string().trim().toLowerCase().max(255, 'must be at most 255 characters').pipe(z.email('must be a valid email address')),
  password: newPassword(),
});

// The upper bound keeps a megabyte "password" from tying up the hash.
function newPassword() {
  return z
    .string()
    .min(8, 'must be at least 8 characters')
    .max(STRING_LIMITS.password, `must be at most ${STRING_LIMITS.password} characters`);
}
const givenPassword = () => z.string().max(STRING_LIMITS.password, `must be at most ${STRING_LIMITS.password} characters`);

const loginInput = z.object({
  login: z.string().trim().max(STRING_LIMITS.login, `must be at most ${STRING_LIMITS.login} characters`),
  password: givenPassword(),
});

export interface Session {
  token: string;
  playerId: string;
}

export async function register(db: Database, redis: Redis, input: z.input<typeof registerInput>): Promise<Session> {
  const { username, email, password } = parseInput(registerInput, input);
  const passwordHash = await hashPassword(password);
  let token: string | null = null;
  try {
    // The session starts before the account commits: with Redis down the account rolls back, so
    // a retry does not meet USERNAME_TAKEN for an account nobody could sign in to.
    return await db.transaction(async (tx) => {
      const [row] = await tx.insert(players).values({ username, email, passwordHash }).returning({ id: players.id });
      token = await startSession(redis, row!.id);
      return { token, playerId: row!.id };
    });
  } catch (error) {
    // The commit failed after the session started: end it too (it would name no account).
    if (token) await endSession(redis, token).catch(() => false);
    const constraint = violatedUniqueConstraint(error);
    if (constraint === 'players_email_unique') throw new ConflictError('EMAIL_TAKEN', 'That email is already registered.');
    if (constraint !== null) throw new ConflictError('USERNAME_TAKEN', `The username "${username}" is taken.`);
    throw error;
  }
}

export interface LoginInput {
  login: string;
  password: string;
}

/** Logs in by username (any case) or email; attempts are counted and rate-limited before the hash runs. */
export async function login(db: Executor, redis: Redis, input: LoginInput, clientAddress: string): Promise<Session> {
  const { login: loginText, password } = parseInput(loginInput, input);
  const [player] = await db
    .select({ id: players.id, passwordHash: players.passwordHash })
    .from(players)
    .where(or(eq(sql`lower(${players.username})`, loginText.toLowerCase()), eq(players.email, loginText.toLowerCase())))
    .limit(1);
  const account = player?.id ?? `unknown:${loginText.toLowerCase()}`;
  await countLoginAttempt(redis, account, clientAddress);

  const valid = await verifyPassword(password, player?.passwordHash ?? DECOY_HASH);
  if (!player || !valid) throw new InvalidCredentialsError();
  await forgiveLoginAttempt(redis, account, clientAddress);
  const token = await startSession(redis, player.id);
  // The session is the login. lastLogin only records it: if PostgreSQL fails now, the login stands.
  await db
    .update(players)
    .set({ lastLogin: new Date() })
    .where(eq(players.id, player.id))
    .catch(() => undefined);
  return { token, playerId: player.id };
}

export function logout(redis: Redis, token: string): Promise<boolean> {
  return endSession(redis, token);
}

/**
 * Deletes the player's account and everything it owns (the foreign keys cascade), after
 * checking the password again, and ends every session of it. Returns the deleted
 * characters' ids so their cached reads can be dropped.
 */
export async function deleteAccount(
  db: Database,
  redis: Redis,
  playerId: string,
  input: { password: string; clientAddress: string },
): Promise<{ playerId: string; characterIds: string[] }> {
  const { password } = parseInput(z.object({ password: givenPassword() }), input);
  await checkPassword(db, redis, playerId, password, input.clientAddress);
  // Sessions end before the delete commits: with Redis down nothing is deleted.
  return db.transaction(async (tx) => {
    // The player's row first: a character being created holds it, and commits before the ids
    // are read, so its cached reads are dropped with the rest (the delete takes it anyway).
    await tx.select({ id: players.id }).from(players).where(eq(players.id, playerId)).for('update');
    const characterIds = await characterIdsOf(tx, playerId);
    await tx.delete(players).where(eq(players.id, playerId));
    await endSessionsOf(redis, playerId);
    return { playerId, characterIds };
  });
}

/**
 * Checks a signed-in player's password again, counted like a login (a stolen token must not
 * become a way to guess the password). UNAUTHENTICATED when the player is gone (a session
 * that outlived its account), INVALID_CREDENTIALS when the password is wrong.
 */
async function checkPassword(db: Executor, redis: Redis, playerId: string, password: string, clientAddress: string): Promise<void> {
  const [player] = await db.select({ passwordHash: players.passwordHash }).from(players).where(eq(players.id, playerId));
  if (!player) throw new UnauthenticatedError();
  await countLoginAttempt(redis, playerId, clientAddress);
  if (!(await verifyPassword(password, player.passwordHash))) throw new InvalidCredentialsError();
  await forgiveLoginAttempt(redis, playerId, clientAddress);
}

/** Sets a new password after checking the current one, and ends every other session of the player. */
export async function changePassword(
  db: Database,
  redis: Redis,
  playerId: string,
  input: { currentPassword: string; newPassword: string; sessionToken: string | null; clientAddress: string },
): Promise<void> {
  const parsed = parseInput(z.object({ currentPassword: givenPassword(), newPassword: newPassword() }), input);
  await checkPassword(db, redis, playerId, parsed.currentPassword, input.clientAddress);
  const passwordHash = await hashPassword(parsed.newPassword);
  // The other sessions end before the new password commits: with Redis down neither happens.
  await db.transaction(async (tx) => {
    await tx.update(players).set({ passwordHash }).where(eq(players.id, playerId));
    await endSessionsOf(redis, playerId, input.sessionToken);
  });
}
