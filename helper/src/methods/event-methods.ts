// The event subscription: the dispatcher has already authorized the caller for the
// view action, so all that is left is to mark its connection.
import { NovaError } from '../../../src-shared/errors.js';
import type { HelperHandlers } from './handler-table.js';

export function eventHandlers(): Pick<HelperHandlers, 'events.subscribe'> {
  return {
    'events.subscribe': async (_params, { subscribeEvents }) => {
      if (!subscribeEvents) throw new NovaError('unsupported', 'Events are delivered only on a connection to the helper');
      subscribeEvents();
      return { subscribed: true };
    },
  };
}
