// Events as a subscription: a connection hears the event stream (names, states,
// reasons, metrics of every resource) only after asking for it, and asking is
// authorized like any other look at the host. A subscription lasts as long as its
// connection; clients that reconnect subscribe again.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { defineMethod } from './define.js';

/** The stream names VMs, capsules and networks alike: a view of the whole host. */
const view = { by: 'helper', action: POLKIT_ACTIONS.hostInspect } as const;

export const eventMethods = {
  'events.subscribe': defineMethod({
    summary: 'Start hearing the event stream on this connection (authorized as a view of the host)',
    params: z.strictObject({}),
    result: z.strictObject({ subscribed: z.literal(true) }),
    served: view,
  }),
} as const;
