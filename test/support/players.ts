import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { CreateCharacterDocument, RegisterDocument } from '../generated/graphql.js';
import type { TestApp } from './harness.js';

export interface SignedInPlayer {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
/** Character names allow spaces and hyphens but not underscores. */
export const uniqueCharacterName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Registers a fresh player through GraphQL and returns its session. */
export async function registerPlayer(app: TestApp, username = uniqueName('player')): Promise<SignedInPlayer> {
  const input = { username, email: `${username.toLowerCase()}@guildhall.test`, password: 'correct horse battery' };
  const { data } = await app.gql(RegisterDocument, { input });
  const result = data?.register;
  if (result?.__typename !== 'AuthPayload') throw new Error(`register failed: ${JSON.stringify(result)}`);
  return { id: result.player.id, username, email: input.email, password: input.password, token: result.token };
}

export async function createCharacterFor(app: TestApp, player: SignedInPlayer, name = uniqueCharacterName('Hero')) {
  const { data } = await app.gql(CreateCharacterDocument, { input: { name } }, { token: player.token });
  const result = data?.createCharacter;
  expect(result?.__typename).toBe('CreateCharacterPayload');
  if (result?.__typename !== 'CreateCharacterPayload') throw new Error('unreachable');
  return result.character;
}
