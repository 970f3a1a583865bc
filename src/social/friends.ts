import { and, eq, sql } from 'drizzle-orm';
import { players } from '../accounts/tables.js';
import type { Database, Executor } from '../db/client.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../validation.js';
import { type FriendshipState, friendships } from './tables.js';

export type Friendship = typeof friendships.$inferSelect;

/** What one player sees of another: their row, and the other's row towards them. */
interface Pair {
  mine: Friendship | undefined;
  theirs: Friendship | undefined;
}

/**
 * Opens a transaction on the friendship of two players, serialized against every other
 * change to the same pair (both directions take the same advisory lock), after checking
 * the target exists.
 */
function changePair<T>(db: Database, playerId: string, otherId: string, change: (tx: Executor, pair: Pair) => Promise<T>): Promise<T> {
  if (otherId === playerId) throw new ValidationError('playerId: that is you', 'playerId');
  if (!isUuid(otherId)) throw new NotFoundError('NOT_FOUND', 'No player has that id.');
  const [low, high] = [playerId, otherId].sort();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`friendship:${low}:${high}`}, 0))`);
    const [other] = await tx.select({ id: players.id }).from(players).where(eq(players.id, otherId));
    if (!other) throw new NotFoundError('NOT_FOUND', 'No player has that id.');
    const rows = await tx
      .select()
      .from(friendships)
      .where(
        sql`(${friendships.playerId}, ${friendships.otherId}) in ((${playerId}::uuid, ${otherId}::uuid), (${otherId}::uuid, ${playerId}::uuid))`,
      );
    const pair = { mine: rows.find((row) => row.playerId === playerId), theirs: rows.find((row) => row.playerId === otherId) };
    return change(tx, pair);
  });
}

async function setState(tx: Executor, playerId: string, otherId: string, state: FriendshipState): Promise<Friendship> {
  const now = new Date();
  const [row] = await tx
    .insert(friendships)
    .values({ playerId, otherId, state, updatedAt: now })
    .onConflictDoUpdate({ target: [friendships.playerId, friendships.otherId], set: { state, updatedAt: now } })
    .returning();
  return row!;
}

const removeRow = (tx: Executor, playerId: string, otherId: string) =>
  tx.delete(friendships).where(and(eq(friendships.playerId, playerId), eq(friendships.otherId, otherId)));

/**
 * Sends an invite, or accepts one already received. Two players inviting each other at
 * once end as friends: the pair lock makes the second invite see the first and accept it.
 */
export function addFriend(db: Database, playerId: string, otherId: string): Promise<Friendship> {
  return changePair(db, playerId, otherId, async (tx, { mine, theirs }) => {
    if (theirs?.state === 'blocked') throw new ForbiddenError('That player does not accept invites from you.');
    if (mine?.state === 'blocked') throw new ConflictError('CONFLICT', 'You block that player: lift the block with removeFriend first.');
    if (mine?.state === 'friend' || mine?.state === 'invite_sent') return mine;
    if (mine?.state === 'invite_received') {
      await setState(tx, otherId, playerId, 'friend');
      return setState(tx, playerId, otherId, 'friend');
    }
    await setState(tx, otherId, playerId, 'invite_received');
    return setState(tx, playerId, otherId, 'invite_sent');
  });
}

/** Ends a friendship, withdraws or declines an invite, or lifts one's own block. Idempotent. */
export function removeFriend(db: Database, playerId: string, otherId: string): Promise<void> {
  return changePair(db, playerId, otherId, async (tx, { mine, theirs }) => {
    if (mine) await removeRow(tx, playerId, otherId);
    // The other player's block stays: only they can lift it.
    if (theirs && theirs.state !== 'blocked') await removeRow(tx, otherId, playerId);
  });
}

/** Blocks a player: ends any friendship or invite between the two; their own block of you stays. */
export function blockPlayer(db: Database, playerId: string, otherId: string): Promise<Friendship> {
  return changePair(db, playerId, otherId, async (tx, { theirs }) => {
    if (theirs && theirs.state !== 'blocked') await removeRow(tx, otherId, playerId);
    return setState(tx, playerId, otherId, 'blocked');
  });
}

/** Whether two players are friends (both rows say so; a block deletes one of them). */
export async function areFriends(db: Executor, a: string, b: string): Promise<boolean> {
  const rows = await db
    .select({ playerId: friendships.playerId })
    .from(friendships)
    .where(
      and(
        eq(friendships.state, 'friend'),
        sql`(${friendships.playerId}, ${friendships.otherId}) in ((${a}::uuid, ${b}::uuid), (${b}::uuid, ${a}::uuid))`,
      ),
    );
  return rows.length === 2;
}

/** The relational-query options of a player's friendship rows, newest change first. */
export function friendsQuery(playerId: string, state: FriendshipState | null) {
  return {
    where: state ? { playerId, state } : { playerId },
    orderBy: { updatedAt: 'desc', otherId: 'asc' },
  } as const;
}
