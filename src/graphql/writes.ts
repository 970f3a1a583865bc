import type { Context } from '../context.js';
import { retryWhileUnreachable } from '../db/errors.js';
import { announce, type Change } from '../invalidation.js';

/**
 * The resolver of a signed-in player's write to their characters (or what those own):
 * runs the domain function with the request's services and the player's id, then, after its commit, announces
 * `characterChanged`, and whatever else `alsoChanged` names, in one announcement. A result
 * with `playerCharacterIds` (read under the player's lock) spares the announcement reading them.
 * Use on fields with `authScopes: { player: true }`.
 */
export function characterWrite<Args, Result>(
  write: (ctx: Context, playerId: string, args: Args) => Promise<Result>,
  alsoChanged: (playerId: string, result: Result) => Change[] = () => [],
) {
  return async (_root: unknown, args: Args, ctx: Context): Promise<Result> => {
    const playerId = ctx.playerId();
    const result = await write(ctx, playerId, args);
    const characterIds = (result as { playerCharacterIds?: string[] } | null | undefined)?.playerCharacterIds;
    await announce(ctx, { type: 'characterChanged', playerId, characterIds }, ...alsoChanged(playerId, result));
    return result;
  };
}

/**
 * A payload field read back after its write committed. The field is non-null (DESIGN §10), so
 * the payload cannot carry less: if PostgreSQL went away just after the commit, the read is
 * retried for up to 6 s rather than answering an error for a write that happened.
 */
export async function readAfterCommit<T>(read: () => Promise<T | undefined>): Promise<T> {
  return (await retryWhileUnreachable(read))!;
}

/**
 * The row a write already holds, for a payload field whose selection (plugin-drizzle's query for
 * it) reads only columns the row has: no relation, no extra. Nothing is left to load, so the
 * read back after commit is skipped; null otherwise, and the caller reads the row back.
 */
export function heldRow<Row extends object>(
  selection: { columns?: Record<string, unknown>; with?: object; extras?: object },
  row: Row,
): Row | null {
  const { columns, with: relations = {}, extras = {} } = selection;
  if (!columns || Object.keys(relations).length > 0 || Object.keys(extras).length > 0) return null;
  return Object.keys(columns).every((column) => column in row) ? row : null;
}
