// The Images page's state: the VM image library and the OCI images, re-read when an
// image operation succeeds (from here, the CLI or a NovaFile), on `ociImage.changed`
// and when the helper comes back. A disk import started here is handed over to the
// operation store as soon as the helper runs it, so the dialog can close while it works.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { OciImage } from '../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { ImageListEntry } from '../../../src-shared/vm.js';
import type { NovaClient } from '../transport/nova-client.js';
import { handOverOnceRunning } from './operation-handover.js';
import type { OperationStore } from './operation-store.js';
import { debouncedRefetch } from './resource-operations.js';
import { announce } from './toast-store.js';

const REFETCH_DEBOUNCE_MS = 150;

export type ImageKind = 'vm' | 'oci';

export interface ImageFailure {
  readonly name: string;
  readonly error: ErrorShape;
}

export interface ImageListState {
  readonly images: readonly ImageListEntry[] | null;
  readonly ociImages: readonly OciImage[] | null;
  /** The capsules started from each OCI image, by image id. */
  readonly capsulesByImage: Readonly<Record<string, readonly string[]>>;
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
  /** Starts a container image import (`ociImage.import`) from an archive the same way. */
  readonly importContainer: (path: string, name: string) => Promise<void>;
  /** Starts an OCI pull the same way; `name` empty lists it under its reference. */
  readonly pull: (reference: string, name: string, plainHttp: boolean) => Promise<void>;
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
    capsulesByImage: {},
    loading: false,
    error: null,
    importFailures: [],
    load: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const [images, oci, capsules] = await Promise.all([client.call('image.list', {}), client.call('ociImage.list', {}), client.call('capsule.list', {})]);
        if (mine !== seq) return;
        const byName = <T extends { name: string }>(list: readonly T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
        const capsulesByImage: Record<string, string[]> = {};
        for (const c of capsules.capsules) (capsulesByImage[c.imageId] ??= []).push(c.spec.name);
        set({ images: byName(images), ociImages: byName(oci.images), capsulesByImage, loading: false, error: null });
      } catch (err) {
        if (mine === seq) set({ loading: false, error: toErrorShape(err) });
      }
    },
    importDisk: (path, name) => started(name, (op) => op.kind === 'image.import' && op.resource.name === name, () => client.call('image.import', { path, name })),
    importContainer: (path, name) =>
      started(name, (op) => op.kind === 'ociImage.import' && op.resource.name === name, () => client.call('ociImage.import', { path, name }), `Imported container image '${name}'`),
    pull: (reference, name, plainHttp) =>
      started(
        name || reference,
        // Without a name the helper derives the local one: any new pull is this one.
        (op) => op.kind === 'ociImage.pull' && (!name || op.resource.name === name),
        () => client.call('ociImage.pull', { reference, tlsVerify: !plainHttp, ...(name ? { name } : {}) }),
      ),
    remove: async (kind, name) => {
      if (kind === 'vm') await client.call('image.remove', { name });
      else await client.call('ociImage.remove', { name });
      await get().load();
    },
    dismissImportFailure: (name) => set({ importFailures: get().importFailures.filter((f) => f.name !== name) }),
  }));

  /** Resolves once the helper runs it as an operation; a failure after that is kept to show. */
  function started(label: string, isIt: (op: Operation) => boolean, call: () => Promise<unknown>, doneText?: string): Promise<void> {
    return handOverOnceRunning(operations, isIt, call, (outcome) => {
      if (outcome.ok) {
        if (doneText) announce(doneText);
        return refetch.trigger();
      }
      const { importFailures } = store.getState();
      if (outcome.error.code !== 'cancelled') store.setState({ importFailures: [...importFailures.filter((f) => f.name !== label), { name: label, error: outcome.error }] });
    });
  }

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
