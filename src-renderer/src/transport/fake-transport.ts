// A scripted Transport for unit tests of the client and the stores: answers calls
// from a handler, records them, and lets a test push events and state changes.
import type { Envelope, NovaEvent } from '../../../src-shared/index.js';
import { CONNECTED_STATE, type CallOptions, type Transport, type TransportState } from './transport.js';

export interface RecordedCall {
  readonly method: string;
  readonly params: unknown;
  readonly options: CallOptions;
}

export type FakeHandler = (method: string, params: unknown) => Envelope<unknown> | Promise<Envelope<unknown>>;

export class FakeTransport implements Transport {
  readonly kind = 'web';
  readonly calls: RecordedCall[] = [];
  private state: TransportState = CONNECTED_STATE;
  private readonly eventListeners = new Set<(event: NovaEvent) => void>();
  private readonly stateListeners = new Set<(state: TransportState) => void>();

  constructor(public handler: FakeHandler = () => ({ ok: true, value: null })) {}

  async call(method: string, params: unknown, options: CallOptions): Promise<Envelope<unknown>> {
    this.calls.push({ method, params, options });
    return this.handler(method, params);
  }

  subscribe(listener: (event: NovaEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  getState(): TransportState {
    return this.state;
  }

  close(): void {}

  emit(event: NovaEvent): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }

  setState(state: TransportState): void {
    this.state = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }
}
