// Transport over the preload's `window.nova`: one nested function per method, each
// resolving to an envelope. IPC cannot drop like a socket, so the state is always
// `connected`; replies are still validated because the bridge is a process boundary.
// Events come once asked for: the first listener subscribes the window.
import {
  EnvelopeSchema,
  parseNovaEvent,
  splitMethodName,
  toErrorShape,
  type Envelope,
  type NovaEvent,
  type NovaWindowApi,
} from '../../../src-shared/index.js';
import { CONNECTED_STATE, failure, type CallOptions, type Transport, type TransportState } from './transport.js';

type BridgeFunction = (params?: unknown, host?: string) => Promise<unknown>;

const SUBSCRIBE_TIMEOUT_MS = 35_000;

export class ElectronTransport implements Transport {
  readonly kind = 'electron';
  private subscribed = false;

  constructor(private readonly nova: NovaWindowApi) {}

  async call(method: string, params: unknown, options: CallOptions): Promise<Envelope<unknown>> {
    const fn = this.lookup(method);
    if (!fn) return failure('unknown_method', `The desktop bridge has no method ${method}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<Envelope<unknown>>((resolve) => {
      timer = setTimeout(
        () => resolve(failure('timeout', `${method} did not answer within ${Math.round(options.timeoutMs / 1000)} s`)),
        options.timeoutMs,
      );
    });
    try {
      return await Promise.race([this.invoke(fn, method, params, options.host), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  subscribe(listener: (event: NovaEvent) => void): () => void {
    if (!this.subscribed) {
      this.subscribed = true;
      void this.call('events.subscribe', {}, { timeoutMs: SUBSCRIBE_TIMEOUT_MS }).then((envelope) => {
        if (!envelope.ok) console.warn(`nova: no live updates: ${envelope.error.message}`);
      });
    }
    return this.nova.subscribe((raw) => {
      const event = parseNovaEvent(raw);
      if (event) listener(event);
    });
  }

  onStateChange(): () => void {
    return () => {};
  }

  getState(): TransportState {
    return CONNECTED_STATE;
  }

  close(): void {}

  private async invoke(fn: BridgeFunction, method: string, params: unknown, host: string | undefined): Promise<Envelope<unknown>> {
    try {
      const parsed = EnvelopeSchema.safeParse(await (host === undefined ? fn(params) : fn(params, host)));
      return parsed.success ? parsed.data : failure('protocol', `${method}: the desktop bridge returned a malformed envelope`);
    } catch (err) {
      return { ok: false, error: toErrorShape(err) };
    }
  }

  private lookup(method: string): BridgeFunction | null {
    let group: string;
    let verb: string;
    try {
      [group, verb] = splitMethodName(method);
    } catch {
      return null;
    }
    // The bridge is typed per method; here it is walked by name, so view it as a plain table.
    const table = this.nova as unknown as Record<string, Record<string, unknown> | undefined>;
    const verbs = Object.hasOwn(table, group) ? table[group] : undefined;
    const fn = verbs && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
    return typeof fn === 'function' ? (fn as BridgeFunction) : null;
  }
}
