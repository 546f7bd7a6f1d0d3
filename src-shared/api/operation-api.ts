// Operations in the contract: list, inspect and cancel the long actions under way and
// the recent ones, and the event that reports each change of state or progress.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { OperationIdSchema, OperationSchema, ResourceRefSchema } from '../operation.js';
import { defineMethod } from './define.js';

/**
 * Operations span every kind of resource (a project's apply touches VMs, capsules and
 * networks), so seeing them is a view of the whole host. Cancelling passes the same
 * gate: the owner stops what they started, and cancelling anyone else's operation is
 * checked in the handler as a manage of its resource's kind.
 */
const view = { by: 'helper', action: POLKIT_ACTIONS.hostInspect } as const;

export const operationMethods = {
  'operation.list': defineMethod({
    summary: 'Running and recent operations, newest first; optionally of one resource only',
    params: z.strictObject({
      resource: ResourceRefSchema.optional(),
      /** running: only those under way; all: also the recent finished ones. */
      state: z.enum(['running', 'all']).default('all'),
    }),
    result: z.strictObject({ operations: z.array(OperationSchema) }),
    served: view,
  }),
  'operation.get': defineMethod({
    summary: 'One operation by id',
    params: z.strictObject({ id: OperationIdSchema }),
    result: OperationSchema,
    served: view,
  }),
  'operation.cancel': defineMethod({
    summary: 'Cancel an operation: its process or job is stopped and what it made is removed (the owner, root, or whoever may manage its resource)',
    params: z.strictObject({ id: OperationIdSchema }),
    result: OperationSchema,
    served: view,
  }),
} as const;

export const operationEvents = {
  /** Every change of an operation's state, progress or cancel request (progress at most a few times a second). */
  'operation.changed': OperationSchema,
} as const;
