// Messages of web mode's WebSocket: the NovaApi carried over one socket, so the
// renderer in a browser sees exactly what it sees through the preload in Electron.
import { z } from 'zod';
import { ErrorShapeSchema } from '../errors.js';

export const WEB_SOCKET_PATH = '/nova-ws';

export const WebRequestSchema = z.strictObject({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(128),
  params: z.unknown().optional(),
});
export type WebRequest = z.infer<typeof WebRequestSchema>;

export const EnvelopeSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ErrorShapeSchema }),
]);

export const WebServerMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('result'), id: z.number().int(), envelope: EnvelopeSchema }),
  z.strictObject({ type: z.literal('event'), event: z.strictObject({ name: z.string(), payload: z.unknown() }) }),
]);
export type WebServerMessage = z.infer<typeof WebServerMessageSchema>;
