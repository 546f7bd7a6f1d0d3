// The Capsules section's state: capsules and OCI images (refetched on their events),
// one operation in flight per capsule so a second click cannot submit twice, creations
// handed over to the operation store once the helper runs them, and the live metrics of
// running capsules, polled every few seconds only while the section is open (one
// `capsule.metrics` call per running capsule: cheap cgroup reads).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { Capsule, CapsuleMetrics, CapsuleSpecIn, OciImage } from '../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import { CAPSULE_ACTION_LABEL, cpuPercentBetween, isCapsuleLive, type CapsuleAction } from '../lib/capsule-format.js';
import type { NovaClient } from '../transport/nova-client.js';
import { handOverOnceRunning } from './operation-handover.js';
import type { OperationStore } from './operation-store.js';
import { debouncedRefetch, dismissResourceFailure, runResourceOperation, type OperationFailure } from './resource-operations.js';

/** Seconds between metrics samples. */
export const CAPSULE_SAMPLE_SECONDS = 2;
/** Points kept per capsule: ten minutes at one sample every two seconds. */
const LIVE_POINTS = 300;
const REFETCH_DEBOUNCE_MS = 150;

export interface CapsulePoint {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly pids: number;
  readonly ioReadBps: number;
  readonly ioWriteBps: number;
}

export type CapsuleOperationError = OperationFailure;

export interface CapsuleListState {
  readonly capsules: readonly Capsule[] | null;
  /** Capsules whose record the helper cannot read: a row each, with the reason. */
  readonly broken: readonly BrokenRecord[];
  readonly images: readonly OciImage[] | null;
  readonly loading: boolean;
  readonly error: ErrorShape | null;
  readonly pending: Readonly<Record<string, string>>;
  readonly failures: Readonly<Record<string, CapsuleOperationError>>;
  readonly live: Readonly<Record<string, readonly CapsulePoint[]>>;
  readonly load: () => Promise<void>;
  readonly loadImages: () => Promise<void>;
  /** Runs `op` as the capsule's one operation; false when another is in flight or it failed. */
  readonly run: (name: string, label: string, op: () => Promise<unknown>) => Promise<boolean>;
  readonly act: (name: string, action: CapsuleAction) => Promise<boolean>;
  /**
   * Creates a capsule (and starts it when asked); resolves once the helper runs the
   * creation as an operation, rejects with its refusal when it never got that far. A
   * later failure is kept beside the capsule (a cancel is not one).
   */
  readonly create: (spec: CapsuleSpecIn, startNow: boolean) => Promise<void>;
  readonly dismissFailure: (name: string) => void;
}

export type CapsuleStore = StoreApi<CapsuleListState>;

export function createCapsuleStore(client: NovaClient, operations: OperationStore): { store: CapsuleStore; dispose: () => void } {
  let seq = 0;
  const store = createStore<CapsuleListState>((set, get) => ({
    capsules: null,
    broken: [],
    images: null,
    loading: false,
    error: null,
    pending: {},
    failures: {},
    live: {},
    load: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const { capsules, broken } = await client.call('capsule.list', {});
        if (mine !== seq) return;
        const names = new Set(capsules.map((c) => c.name));
        const live = Object.fromEntries(Object.entries(get().live).filter(([n]) => names.has(n)));
        set({ capsules: [...capsules].sort((a, b) => a.name.localeCompare(b.name)), broken, error: null, loading: false, live });
      } catch (err) {
        if (mine !== seq) return;
        set({ error: toErrorShape(err), loading: false });
      }
    },
    loadImages: async () => {
      try {
        const { images } = await client.call('ociImage.list', {});
        set({ images: [...images].sort((a, b) => a.name.localeCompare(b.name)) });
      } catch {
        // The create dialog says "no images" and the list's own error covers the helper being away.
        set({ images: get().images ?? [] });
      }
    },
    run: (name, label, op) => runResourceOperation(get, set, name, label, op),
    act: (name, action) => get().run(name, CAPSULE_ACTION_LABEL[action].busy, () => client.call(`capsule.${action}`, { name })),
    create: (spec, startNow) =>
      handOverOnceRunning(
        operations,
        (op) => op.kind === 'capsule.create' && op.resource.name === spec.name,
        () => client.call('capsule.create', spec),
        (outcome) => {
          if (outcome.ok && startNow) return void get().act(spec.name, 'start');
          if (!outcome.ok && outcome.error.code !== 'cancelled') set({ failures: { ...get().failures, [spec.name]: { what: 'Creating', error: outcome.error } } });
          void get().load();
        },
      ),
    dismissFailure: (name) => dismissResourceFailure(get, set, name),
  }));

  const refetch = debouncedRefetch(() => store.getState().load(), REFETCH_DEBOUNCE_MS);
  const refetchSoon = refetch.trigger;

  // The previous cumulative sample per capsule, to turn counters into rates.
  const previous = new Map<string, CapsuleMetrics>();
  let sampling = false;
  const sample = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      const running = (store.getState().capsules ?? []).filter((c) => isCapsuleLive(c.state)).map((c) => c.name);
      for (const name of previous.keys()) if (!running.includes(name)) previous.delete(name);
      const samples = await Promise.all(running.map((name) => client.call('capsule.metrics', { name }).then((m) => [name, m] as const, () => null)));
      const live = { ...store.getState().live };
      for (const entry of samples) {
        if (!entry) continue;
        const [name, m] = entry;
        const prev = previous.get(name);
        previous.set(name, m);
        if (!prev) continue;
        const seconds = (Date.parse(m.at) - Date.parse(prev.at)) / 1000;
        const rate = (a: number | null, b: number | null) => (a === null || b === null || !(seconds > 0) ? 0 : Math.max(0, (b - a) / seconds));
        const point: CapsulePoint = {
          t: Date.parse(m.at),
          cpuPercent: cpuPercentBetween(prev, m) ?? 0,
          memoryBytes: m.memoryBytes ?? 0,
          pids: m.pids ?? 0,
          ioReadBps: rate(prev.ioReadBytes, m.ioReadBytes),
          ioWriteBps: rate(prev.ioWriteBytes, m.ioWriteBytes),
        };
        live[name] = [...(live[name] ?? []), point].slice(-LIVE_POINTS);
      }
      store.setState({ live });
    } finally {
      sampling = false;
    }
  };
  const poll = setInterval(() => void sample(), CAPSULE_SAMPLE_SECONDS * 1000);

  const offState = client.on('capsule.stateChanged', refetchSoon);
  const offHealth = client.on('capsule.healthChanged', refetchSoon);
  const offImages = client.on('ociImage.changed', () => void store.getState().loadImages());
  const offHelper = client.on('connection.changed', (p) => {
    if (p.connected) refetchSoon();
  });

  return {
    store,
    dispose: () => {
      refetch.cancel();
      clearInterval(poll);
      offState();
      offHealth();
      offImages();
      offHelper();
    },
  };
}
