// The VM section's state: the list of VMs (refetched on `vm.stateChanged`), the last
// minute of CPU and memory per running VM for the sparklines (appended live from
// `vm.metricsSampled`, 60 points each), and one operation in flight per VM, so a
// second click on Start or Delete cannot submit twice.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import type { VmAction } from '../lib/vm-format.js';
import type { NovaClient } from '../transport/nova-client.js';
import { debouncedRefetch, dismissResourceFailure, runResourceOperation, type OperationFailure } from './resource-operations.js';

const LIVE_POINTS = 60;
const REFETCH_DEBOUNCE_MS = 150;

export interface LiveSeries {
  readonly cpu: readonly number[];
  readonly rss: readonly number[];
}

export type VmOperationError = OperationFailure;

export interface VmListState {
  readonly vms: readonly VmInfo[] | null;
  /** VMs whose definition the helper cannot read: a row each, with the reason. */
  readonly broken: readonly BrokenRecord[];
  readonly loading: boolean;
  readonly error: ErrorShape | null;
  /** VM name -> what is being done to it ("Starting…"); one at a time per VM. */
  readonly pending: Readonly<Record<string, string>>;
  readonly failures: Readonly<Record<string, VmOperationError>>;
  readonly live: Readonly<Record<string, LiveSeries>>;
  readonly load: () => Promise<void>;
  /** Runs `op` as the VM's one operation; resolves false when another is in flight or it failed. */
  readonly run: (name: string, label: string, op: () => Promise<unknown>) => Promise<boolean>;
  readonly act: (name: string, action: VmAction) => Promise<boolean>;
  readonly dismissFailure: (name: string) => void;
}

export type VmListStore = StoreApi<VmListState>;

const ACTION_LABEL: Record<VmAction, string> = {
  start: 'Starting…',
  stop: 'Stopping…',
  forceStop: 'Forcing off…',
  pause: 'Pausing…',
  resume: 'Resuming…',
  reboot: 'Resetting…',
  suspend: 'Suspending…',
  discardSuspend: 'Discarding the saved state…',
};

export function createVmStore(client: NovaClient): { store: VmListStore; dispose: () => void } {
  let seq = 0;
  const call = (name: string, action: VmAction): Promise<unknown> => {
    switch (action) {
      case 'start':
        return client.call('vm.start', { name });
      case 'stop':
        return client.call('vm.stop', { name });
      case 'forceStop':
        return client.call('vm.stop', { name, force: true });
      case 'pause':
        return client.call('vm.pause', { name });
      case 'resume':
        return client.call('vm.resume', { name });
      case 'reboot':
        return client.call('vm.reboot', { name });
      case 'suspend':
        return client.call('vm.suspend', { name });
      case 'discardSuspend':
        return client.call('vm.stop', { name });
    }
  };

  const store = createStore<VmListState>((set, get) => ({
    vms: null,
    broken: [],
    loading: false,
    error: null,
    pending: {},
    failures: {},
    live: {},
    load: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const { vms, broken } = await client.call('vm.list', {});
        if (mine !== seq) return;
        const names = new Set(vms.map((v) => v.definition.name));
        // Sparklines of VMs that are gone (deleted elsewhere) go with them.
        const live = Object.fromEntries(Object.entries(get().live).filter(([n]) => names.has(n)));
        set({ vms: [...vms].sort((a, b) => a.definition.name.localeCompare(b.definition.name)), broken, error: null, loading: false, live });
      } catch (err) {
        if (mine !== seq) return;
        set({ error: toErrorShape(err), loading: false });
      }
    },
    run: (name, label, op) => runResourceOperation(get, set, name, label, op),
    act: (name, action) => get().run(name, ACTION_LABEL[action], () => call(name, action)),
    dismissFailure: (name) => dismissResourceFailure(get, set, name),
  }));

  const refetch = debouncedRefetch(() => store.getState().load(), REFETCH_DEBOUNCE_MS);
  const refetchSoon = refetch.trigger;
  const offState = client.on('vm.stateChanged', refetchSoon);
  const offHealth = client.on('vm.healthChanged', refetchSoon);
  const offMetrics = client.on('vm.metricsSampled', (m) => {
    const prev = store.getState().live[m.name];
    const push = (xs: readonly number[] | undefined, v: number) => [...(xs ?? []), v].slice(-LIVE_POINTS);
    store.setState({ live: { ...store.getState().live, [m.name]: { cpu: push(prev?.cpu, m.cpuPercent), rss: push(prev?.rss, m.rssBytes) } } });
  });
  const offHelper = client.on('connection.changed', (p) => {
    if (p.connected) refetchSoon();
  });

  return {
    store,
    dispose: () => {
      refetch.cancel();
      offState();
      offHealth();
      offMetrics();
      offHelper();
    },
  };
}
