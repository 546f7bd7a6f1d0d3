// The Images page's state: the VM image library and the OCI images, re-read when an
// image operation succeeds (from here, the CLI or a NovaFile), on `ociImage.changed`
// and when the helper comes back. A disk import started here is handed over to the
// operation store as soon as the helper runs it, so the dialog can close while it works.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { OciImage } from '../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { Image } from '../../../src-shared/vm.js';
import type { NovaClient } from '../transport/nova-client.js';
import { handOverOnceRunning } from './operation-handover.js';
import type { OperationStore } from './operation-store.js';
import { debouncedRefetch } from './resource-operations.js';

const REFETCH_DEBOUNCE_MS = 150;

export type ImageKind = 'vm' | 'oci';

export interface ImageFailure {
  readonly name: string;
  readonly error: ErrorShape;
}

export interface ImageListState {
  readonly images: readonly Image[] | null;
  readonly ociImages: readonly OciImage[] | null;
  readonly loading: boolean;
  readonly error: ErrorShape | null;
  /** Imports started here that failed after the dialog closed (a cancel is not a failure). */
  readonly importFailures: readonly ImageFailure[];
  readonly load: () => Promise<void>;
  /**
   * Starts a disk import; resolves once the helper runs it as an operation (or it is
   * done), rejects with the helper's refusal when it never got that far.
   */
  readonly importDisk: (path: string, name: string) => Promise<void>;
  readonly remove: (kind: ImageKind, name: string) => Promise<void>;
  readonly dismissImportFailure: (name: string) => void;
}

export type ImageStore = StoreApi<ImageListState>;

const isImageOperation = (op: Operation) => op.resource.kind === 'image' || op.resource.kind === 'ociImage';

export function createImageStore(client: NovaClient, operations: OperationStore): { store: ImageStore; dispose: () => void } {
  let seq = 0;
  const store = createStore<ImageListState>((set, get) => ({
    images: null,
    ociImages: null,
    loading: false,
    error: null,
    importFailures: [],
    load: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const [images, oci] = await Promise.all([client.call('image.list', {}), client.call('ociImage.list', {})]);
        if (mine !== seq) return;
        const byName = <T extends { name: string }>(list: readonly T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
        set({ images: byName(images), ociImages: byName(oci.images), loading: false, error: null });
      } catch (err) {
        if (mine === seq) set({ loading: false, error: toErrorShape(err) });
      }
    },
    importDisk: (path, name) =>
      handOverOnceRunning(
        operations,
        (op) => op.kind === 'image.import' && op.resource.name === name,
        () => client.call('image.import', { path, name }),
        (outcome) => {
          if (outcome.ok) return refetch.trigger();
          if (outcome.error.code !== 'cancelled') set({ importFailures: [...get().importFailures.filter((f) => f.name !== name), { name, error: outcome.error }] });
        },
      ),
    remove: async (kind, name) => {
      if (kind === 'vm') await client.call('image.remove', { name });
      else await client.call('ociImage.remove', { name });
      await get().load();
    },
    dismissImportFailure: (name) => set({ importFailures: get().importFailures.filter((f) => f.name !== name) }),
  }));

  const refetch = debouncedRefetch(() => store.getState().load(), REFETCH_DEBOUNCE_MS);
  // An image operation that succeeded (anyone's) changed the lists.
  const offOperations = operations.subscribe((s, prev) => {
    for (const op of Object.values(s.byId)) {
      if (isImageOperation(op) && op.state === 'succeeded' && prev.byId[op.id]?.state === 'running') return refetch.trigger();
    }
  });
  const offOci = client.on('ociImage.changed', refetch.trigger);
  const offHelper = client.on('connection.changed', (p) => {
    if (p.connected) refetch.trigger();
  });

  return {
    store,
    dispose: () => {
      refetch.cancel();
      offOperations();
      offOci();
      offHelper();
    },
  };
}
