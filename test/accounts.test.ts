import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { players } from '../src/accounts/tables.js';
import { LOGIN_LIMITS } from '../src/accounts/login-limiter.js';
import { SESSION_TTL_SECONDS } from '../src/accounts/sessions.js';
import {
  CreateCharacterDocument,
  LoginDocument,
  LogoutDocument,
  PlayerByIdDocument,
  RegisterDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { useTestApp } from './support/harness.js';
import { registerPlayer, uniqueCharacterName, uniqueName } from './support/players.js';

const app = useTestApp();

const register = (input: { username: string; email: string; password: string }) =>
  app.gql(RegisterDocument, { input }).then((r) => r.data!.register);

describe('register', () => {
  it('creates the player with a scrypt hash (never the password) and signs them in for an hour', async () => {
    const username = uniqueName('Ayla');
    const result = await register({ username, email: `  ${username.toUpperCase()}@Guildhall.TEST `, password: 'hunter2hunter2' });
    expect(result.__typename).toBe('AuthPayload');
    if (result.__typename !== 'AuthPayload') return;
    expect(result.player).toMatchObject({ username, email: `${username.toLowerCase()}@guildhall.test`, lastLogin: null });

    const [row] = await app.database.db.select().from(players).where(eq(players.id, result.player.id));
    expect(row!.email).toBe(`${username.toLowerCase()}@guildhall.test`);
    expect(row!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row!.passwordHash).not.toContain('hunter2hunter2');

    expect(await app.redisHandle.redis.get(`session:${result.token}`)).toBe(result.player.id);
    const ttl = await app.redisHandle.redis.ttl(`session:${result.token}`);
    expect(ttl).toBeGreaterThan(SESSION_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(SESSION_TTL_SECONDS);
  });

  it('refuses a taken username with USERNAME_TAKEN, in any letter case', async () => {
    const { username } = await registerPlayer(app);
    for (const taken of [username, username.toUpperCase()]) {
      const result = await register({ username: taken, email: `${uniqueName('x')}@guildhall.test`, password: 'password123' });
      expect(result).toMatchObject({ __typename: 'ConflictError', code: 'USERNAME_TAKEN' });
    }
  });

  it('refuses a taken email with EMAIL_TAKEN, in any letter case', async () => {
    const { email } = await registerPlayer(app);
    const result = await register({ username: uniqueName('other'), email: email.toUpperCase(), password: 'password123' });
    expect(result).toMatchObject({ __typename: 'ConflictError', code: 'EMAIL_TAKEN' });
  });

  it.each([
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a short password', { password: 'short7!' }, 'password'],
    ['a too-short username', { username: 'ab' }, 'username'],
    ['a username with spaces', { username: 'bad name' }, 'username'],
    ['a username over 50 characters', { username: 'u'.repeat(51) }, 'username'],
  ])('refuses %s with VALIDATION naming the field, and stores nothing', async (_label, override, field) => {
    const username = uniqueName('valid');
    const input = { username, email: `${username}@guildhall.test`, password: 'password123', ...override };
    const result = await register(input);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
    const stored = await app.database.db.select().from(players).where(eq(players.email, input.email.toLowerCase()));
    expect(stored).toHaveLength(0);
  });
});

describe('login', () => {
  const login = (input: { login: string; password: string }, headers?: Record<string, string>) =>
    app.gql(LoginDocument, { input }, { headers }).then((r) => r.data!.login);

  it('accepts the username (any case) or the email, sets last_login, and the token identifies the viewer', async () => {
    const player = await registerPlayer(app);
    for (const loginText of [player.username.toUpperCase(), player.email]) {
      const result = await login({ login: loginText, password: player.password });
      expect(result.__typename).toBe('AuthPayload');
      if (result.__typename !== 'AuthPayload') return;
      expect(result.player).toMatchObject({ id: player.id, email: player.email });
      expect(result.player.lastLogin).not.toBeNull();
      const viewer = await app.gql(ViewerDocument, {}, { token: result.token });
      expect(viewer.data?.viewer).toEqual({ id: player.id, username: player.username, email: player.email });
    }
    const [row] = await app.database.db.select().from(players).where(eq(players.id, player.id));
    expect(row!.lastLogin).toBeInstanceOf(Date);
  });

  it('refuses a wrong password and an unknown login alike with INVALID_CREDENTIALS', async () => {
    const player = await registerPlayer(app);
    expect(await login({ login: player.username, password: 'wrong password' })).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await login({ login: uniqueName('nobody'), password: 'whatever1' })).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it(`rate-limits an account after ${LOGIN_LIMITS.perAccount} failures, even with the right password`, async () => {
    const player = await registerPlayer(app);
    const headers = { 'x-test': 'account-limit' };
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) {
      expect(await login({ login: player.username, password: `wrong-${i}-password` }, headers)).toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    }
    // Switching from username to email does not reset the count: it is per account.
    const blocked = await login({ login: player.email, password: player.password }, headers);
    expect(blocked).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    if (blocked.__typename === 'RateLimitedError') {
      expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
      expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(LOGIN_LIMITS.windowSeconds);
    }
    const keys = await app.redisHandle.redis.keys(`ratelimit:login:account:${player.id}`);
    expect(keys).toHaveLength(1);
    expect(await app.redisHandle.redis.ttl(keys[0]!)).toBeGreaterThan(0);
  });

  it(`rate-limits a client address after ${LOGIN_LIMITS.perAddress} failures across accounts`, async () => {
    const address = 'unknown'; // yoga.fetch has no socket, so every test request comes from one address
    await app.redisHandle.redis.del(`ratelimit:login:address:${address}`);
    for (let i = 0; i < LOGIN_LIMITS.perAddress; i++) {
      await login({ login: uniqueName('ghost'), password: 'wrong password' });
    }
    const player = await registerPlayer(app);
    const result = await login({ login: player.username, password: player.password });
    expect(result).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    await app.redisHandle.redis.del(`ratelimit:login:address:${address}`);
  });
});

describe('sessions', () => {
  const createCharacter = (token: string | null) =>
    app.gql(CreateCharacterDocument, { input: { name: uniqueCharacterName('Nobody') } }, { token }).then((r) => r.data!.createCharacter);

  it('renews the session to a full hour on every use', async () => {
    const player = await registerPlayer(app);
    await app.redisHandle.redis.expire(`session:${player.token}`, 60);
    await app.gql(ViewerDocument, {}, { token: player.token });
    expect(await app.redisHandle.redis.ttl(`session:${player.token}`)).toBeGreaterThan(SESSION_TTL_SECONDS - 5);
  });

  it.each([
    ['no token', () => null],
    ['a garbage token', () => 'not-a-real-token'],
    ['a well-formed but unknown token', () => 'A'.repeat(43)],
  ])('with %s, viewer is null and a write is UNAUTHENTICATED', async (_label, token) => {
    expect((await app.gql(ViewerDocument, {}, { token: token() })).data?.viewer).toBeNull();
    expect(await createCharacter(token())).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
  });

  it('an expired session is UNAUTHENTICATED', async () => {
    const player = await registerPlayer(app);
    await app.redisHandle.redis.pexpire(`session:${player.token}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await createCharacter(player.token)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('logout deletes the session, and the token stops working', async () => {
    const player = await registerPlayer(app);
    expect((await app.gql(LogoutDocument, {}, { token: player.token })).data?.logout).toBe(true);
    expect(await app.redisHandle.redis.exists(`session:${player.token}`)).toBe(0);
    expect(await createCharacter(player.token)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await app.gql(LogoutDocument, {}, { token: player.token })).data?.logout).toBe(false);
  });
});

describe('privacy', () => {
  it("shows a player's email to that player only", async () => {
    const [owner, other] = [await registerPlayer(app), await registerPlayer(app)];
    const asOwner = await app.gql(PlayerByIdDocument, { id: owner.id }, { token: owner.token });
    const asOther = await app.gql(PlayerByIdDocument, { id: owner.id }, { token: other.token });
    const anonymous = await app.gql(PlayerByIdDocument, { id: owner.id });
    expect(asOwner.data?.player?.email).toBe(owner.email);
    expect(asOther.data?.player).toMatchObject({ id: owner.id, email: null });
    expect(anonymous.data?.player).toMatchObject({ id: owner.id, email: null });
  });

  it('never logs a password, a token or a password hash', async () => {
    app.logLines.length = 0;
    const player = await registerPlayer(app);
    await app.gql(LoginDocument, { input: { login: player.username, password: player.password } });
    await app.gql(LoginDocument, { input: { login: player.username, password: 'wrong-password-here' } });
    const [row] = await app.database.db.select().from(players).where(eq(players.id, player.id));
    const logged = app.logLines.join('');
    expect(app.logLines.length).toBeGreaterThan(0); // SQL is traced, so the assertion below is not vacuous
    for (const secret of [player.password, 'wrong-password-here', player.token, row!.passwordHash]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('a malformed player id is simply not found', async () => {
    expect((await app.gql(PlayerByIdDocument, { id: 'nope' })).data?.player).toBeNull();
  });
});
