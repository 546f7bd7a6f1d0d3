// The helper's JSON-RPC notifications to its clients: the event stream every client
// receives, and, on one connection only, the id of the operation a request started, so
// that client can show its progress and cancel it (Ctrl-C in the CLI).
import { z } from 'zod';
import { OperationIdSchema } from '../operation.js';

export const EVENT_NOTIFICATION = 'nova.event';
export const OPERATION_STARTED_NOTIFICATION = 'nova.operationStarted';

export const OperationStartedSchema = z.strictObject({
  requestId: z.union([z.string(), z.number()]),
  operationId: OperationIdSchema,
});
export type OperationStarted = z.infer<typeof OperationStartedSchema>;
