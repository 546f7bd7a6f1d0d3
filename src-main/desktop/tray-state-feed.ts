// Keeps the tray's state current: state-change events are signals to refetch the lists
// (as the renderer's stores treat them), coalesced so a burst of events costs one fetch.
import type { Envelope, NovaEvent, ResultOf } from '../../src-shared/index.js';
import type { TrayState } from './tray-menu.js';

export interface TrayStateSource {
  /** Both lists, or an error (helper down, not authorized): then the tray shows no guests. */
  fetch(): Promise<TrayState>;
  subscribe(listener: (event: NovaEvent) => void): () => void;
}

const REFETCH_ON = new Set<NovaEvent['name']>(['vm.stateChanged', 'capsule.stateChanged', 'connection.changed']);

export const EMPTY_TRAY_STATE: TrayState = { vms: [], capsules: [] };

export class TrayStateFeed {
  private readonly unsubscribe: () => void;
  private inFlight = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly source: TrayStateSource,
    private readonly onState: (state: TrayState) => void,
  ) {
    this.unsubscribe = source.subscribe((event) => {
      if (REFETCH_ON.has(event.name)) this.refresh();
    });
    this.refresh();
  }

  /** At most one fetch at a time; events during it cause exactly one more. */
  refresh(): void {
    if (this.closed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    void this.source
      .fetch()
      .catch(() => EMPTY_TRAY_STATE)
      .then((state) => {
        this.inFlight = false;
        if (this.closed) return;
        this.onState(state);
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }
}

/** Lists and events through main's handler table: what the window sees, the tray sees. */
export function traySourceFrom(
  handlers: { invoke(method: string, params: unknown): Promise<Envelope<unknown>> },
  events: { subscribe(listener: (event: NovaEvent) => void): () => void },
): TrayStateSource {
  const list = async <M extends 'vm.list' | 'capsule.list'>(method: M): Promise<ResultOf<M>> => {
    const reply = await handlers.invoke(method, {});
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value as ResultOf<M>;
  };
  return {
    fetch: async () => {
      const [vms, capsules] = await Promise.all([list('vm.list'), list('capsule.list')]);
      // Broken ones have no state to act on: the window lists them with the reason.
      return { vms: vms.vms.map(({ definition, state }) => ({ name: definition.name, state })), capsules: capsules.capsules.map(({ name, state }) => ({ name, state })) };
    },
    subscribe: (listener) => events.subscribe(listener),
  };
}
