import type { Context } from '../context.js';
import { announce, type Change } from '../invalidation.js';

/**
 * The resolver of a signed-in player's write to their characters (or what those own):
 * runs the domain function with the request's services and the player's id, then, after its commit, announces
 * `characterChanged`, and whatever else `alsoChanged` names, in one announcement.
 * Use on fields with `authScopes: { player: true }`.
 */
export function characterWrite<Args, Result>(
  write: (ctx: Context, playerId: string, args: Args) => Promise<Result>,
  alsoChanged: (playerId: string, result: Result) => Change[] = () => [],
) {
  return async (_root: unknown, args: Args, ctx: Context): Promise<Result> => {
    const playerId = ctx.playerId();
    const result = await write(ctx, playerId, args);
    await announce(ctx, { type: 'characterChanged', playerId }, ...alsoChanged(playerId, result));
    return result;
  };
}

/**
 * A payload field read back after its write committed. If that read fails (PostgreSQL went away
 * just after the commit), the field is null: the mutation still answers success for the write
 * that happened, and carries less.
 */
export async function readAfterCommit<T>(ctx: Context, read: () => Promise<T | undefined>): Promise<T | null> {
  try {
    return (await read()) ?? null;
  } catch (error) {
    ctx.log.warn({ err: { message: (error as Error).message } }, 'read-back after a committed write failed; the payload carries less');
    return null;
  }
}

/** The description of a payload field read back after the commit. */
export const READ_BACK = 'Null only when it could not be read back after the change was saved.';
