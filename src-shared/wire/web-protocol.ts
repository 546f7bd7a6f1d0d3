// Messages of web mode's WebSocket: the NovaApi carried over one socket, so the
// renderer in a browser sees exactly what it sees through the preload in Electron.
// Access is the per-run token, which every web-mode socket (API and consoles) offers as
// one of its subprotocols: a browser page cannot set headers on a WebSocket, and a
// cookie would reach every port of 127.0.0.1, since browsers do not scope cookies by port.
import { z } from 'zod';
import { ErrorShapeSchema } from '../errors.js';
import { NOVAFILE_TEXT_MAX_CHARS } from '../novafile.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-decoder.js';

export const WEB_SOCKET_PATH = '/nova-ws';

/** The subprotocol of the NovaApi socket; the server selects it, never the token's. */
export const WEB_API_PROTOCOL = 'nova.v1';

/** `nova-token.TOKEN`: the token travels as a subprotocol of its own, beside the real one. */
export const WEB_TOKEN_PROTOCOL_PREFIX = 'nova-token.';

/**
 * The largest message the server reads. The largest request any schema accepts is
 * novafile.validate's text: NOVAFILE_TEXT_MAX_CHARS code units, each at most 6 bytes
 * once in JSON (a control character or a lone surrogate is written `\u0001`; any other
 * unit is at most 3 bytes of UTF-8), plus room for the call around it. Calls the helper
 * serves are bounded by its own, smaller frame limit.
 */
export const WEB_MAX_MESSAGE_BYTES = Math.max(6 * NOVAFILE_TEXT_MAX_CHARS + 64 * 1024, DEFAULT_MAX_FRAME_BYTES);

/** What a page offers when it opens a socket: the protocols it speaks, then its token. */
export function webSocketProtocols(token: string | null, wanted: readonly string[]): string[] {
  return token ? [...wanted, `${WEB_TOKEN_PROTOCOL_PREFIX}${token}`] : [...wanted];
}

/** The token among the offered subprotocols (a `Sec-WebSocket-Protocol` header), or null. */
export function tokenFromProtocols(header: string | undefined): string | null {
  for (const offered of (header ?? '').split(',')) {
    const p = offered.trim();
    if (p.startsWith(WEB_TOKEN_PROTOCOL_PREFIX)) return p.slice(WEB_TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}

export const WebRequestSchema = z.strictObject({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(128),
  params: z.unknown().optional(),
  /** Which host's helper serves the call: a saved host's name; this machine's when absent. */
  host: z.string().max(64).optional(),
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
