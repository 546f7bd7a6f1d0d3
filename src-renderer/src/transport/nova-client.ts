// The typed NovaApi client the UI uses: `client.call('host.check', {refresh: true})`
// checks params and result against the contract's schemas and turns error envelopes
// back into NovaErrors that keep their code. It never learns which transport it has.
// A client is bound to one host: `withHost(name)` gives the pages of a saved host a client
// whose calls main routes there and whose events are that host's (relayed by main).
import {
  DEFAULT_CALL_TIMEOUT_MS,
  parseNovaEvent,
  methodDef,
  NovaError,
  schemaError,
  type MethodName,
  type NovaEvent,
  type NovaEventName,
  type NovaEventPayload,
  type ParamsIn,
  type ResultOf,
} from '../../../src-shared/index.js';
import type { Transport, TransportKind, TransportState } from './transport.js';

/** Main and the web server enforce the method's own timeout; ours fires a little later so theirs wins. */
const TIMEOUT_MARGIN_MS = 5_000;

/** This machine: calls carry no host, as before hosts existed. */
export const LOCAL_HOST = 'local';

export class NovaClient {
  constructor(
    private readonly transport: Transport,
    readonly host: string = LOCAL_HOST,
    /** Only the client that made the transport closes it; host-bound views share it. */
    private readonly ownsTransport = true,
  ) {}

  /** The same link, serving `host`'s pages: its calls go there, its events come from there. */
  withHost(host: string): NovaClient {
    return new NovaClient(this.transport, host, false);
  }

  get isLocal(): boolean {
    return this.host === LOCAL_HOST;
  }

  get transportKind(): TransportKind {
    return this.transport.kind;
  }

  async call<M extends MethodName>(method: M, params?: ParamsIn<M>): Promise<ResultOf<M>> {
    const def = methodDef(method);
    const checked = def.params.safeParse(params ?? {});
    if (!checked.success) throw schemaError(`${method} parameters`, checked.error);

    const timeoutMs = (def.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) + TIMEOUT_MARGIN_MS;
    const envelope = await this.transport.call(method, checked.data, this.isLocal || methodDef(method).served.by === 'main' ? { timeoutMs } : { timeoutMs, host: this.host });
    if (!envelope.ok) throw NovaError.fromShape(envelope.error);

    const result = def.result.safeParse(envelope.value);
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new NovaError('protocol', `${method} returned a result this version of Nova does not understand`, { issues });
    }
    // methodDef() erases the per-method schema type; the parse above is what makes this cast true.
    return result.data as ResultOf<M>;
  }

  /** Listens for one event; the payload says what changed, so listeners refetch. */
  on<E extends NovaEventName>(name: E, listener: (payload: NovaEventPayload<E>) => void): () => void {
    return this.transport.subscribe((event: NovaEvent) => {
      const own = this.ownEvent(event);
      if (own?.name === name) listener(own.payload as NovaEventPayload<E>);
    });
  }

  /** The event as this client's host sent it, or null when it is another host's. */
  private ownEvent(event: NovaEvent): NovaEvent | null {
    if (event.name === 'hosts.relayed') return event.payload.host === this.host ? parseNovaEvent(event.payload.event) : null;
    // Main's own events (projects, moves between hosts) are every page's; the helper's are local's.
    return this.isLocal || event.name.startsWith('project.') || event.name === 'vm.moveProgress' || event.name === 'capsule.moveProgress' ? event : null;
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    return this.transport.onStateChange(listener);
  }

  getState(): TransportState {
    return this.transport.getState();
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}
