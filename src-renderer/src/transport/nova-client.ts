// The typed NovaApi client the UI uses: `client.call('host.check', {refresh: true})`
// checks params and result against the contract's schemas and turns error envelopes
// back into NovaErrors that keep their code. It never learns which transport it has.
import {
  DEFAULT_CALL_TIMEOUT_MS,
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

export class NovaClient {
  constructor(private readonly transport: Transport) {}

  get transportKind(): TransportKind {
    return this.transport.kind;
  }

  async call<M extends MethodName>(method: M, params?: ParamsIn<M>): Promise<ResultOf<M>> {
    const def = methodDef(method);
    const checked = def.params.safeParse(params ?? {});
    if (!checked.success) throw schemaError(`${method} parameters`, checked.error);

    const timeoutMs = (def.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) + TIMEOUT_MARGIN_MS;
    const envelope = await this.transport.call(method, checked.data, { timeoutMs });
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
      if (event.name === name) listener(event.payload as NovaEventPayload<E>);
    });
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    return this.transport.onStateChange(listener);
  }

  getState(): TransportState {
    return this.transport.getState();
  }

  close(): void {
    this.transport.close();
  }
}
