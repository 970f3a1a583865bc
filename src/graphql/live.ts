import { ServiceUnavailableError } from '../errors.js';
import { BUS_LOST, type BusLost } from '../redis/pubsub.js';

/**
 * The resolver of a subscription field's events: passes each through, and turns the end of
 * a stream that lost Redis into SERVICE_UNAVAILABLE, the last result before it completes.
 */
export function liveEvent<T>(event: T | BusLost): T {
  if (event === BUS_LOST) throw new ServiceUnavailableError('Live updates were interrupted. Subscribe again shortly.');
  return event;
}
