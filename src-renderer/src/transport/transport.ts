// The one seam between the UI and whatever carries NovaApi calls (Electron IPC or
// web mode's WebSocket). Transports speak envelopes and never throw, so the client
// above them has exactly one failure path to turn into NovaErrors.
import type { Envelope, NovaEvent } from '../../../src-shared/index.js';

export type TransportKind = 'electron' | 'web';

/**
 * `connecting`: first attempt; `connected`: calls flow; `reconnecting`: the link
 * dropped and a retry is scheduled (`nextRetryAt`); `closed`: shut down for good.
 */
export type TransportStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface TransportState {
  readonly status: TransportStatus;
  /** Consecutive failed attempts since the last successful connection. */
  readonly attempt: number;
  /** Epoch milliseconds of the next reconnect attempt, while reconnecting. */
  readonly nextRetryAt: number | null;
  /** Why the link is down, in words a person can act on. */
  readonly lastError: string | null;
}

export interface CallOptions {
  /** The transport answers with a `timeout` envelope after this long. */
  readonly timeoutMs: number;
  /** The saved host whose helper serves the call; this machine's when absent. */
  readonly host?: string;
}

export interface Transport {
  readonly kind: TransportKind;
  call(method: string, params: unknown, options: CallOptions): Promise<Envelope<unknown>>;
  /** Validated push events; returns the unsubscribe function. */
  subscribe(listener: (event: NovaEvent) => void): () => void;
  onStateChange(listener: (state: TransportState) => void): () => void;
  getState(): TransportState;
  close(): void;
}

export const CONNECTED_STATE: TransportState = {
  status: 'connected',
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
};

export function failure(code: 'unavailable' | 'timeout' | 'protocol' | 'unknown_method', message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}
