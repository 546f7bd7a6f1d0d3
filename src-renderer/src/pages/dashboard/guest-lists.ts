// The Dashboard's VMs and capsules: one `vm.list` and one `capsule.list`, read again when
// an event says a guest changed (state, health) or the helper came back. Events are
// signals to refetch, debounced, so a burst of them costs one read of each list.
import type { Capsule } from '../../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { debouncedRefetch } from '../../stores/resource-operations.js';
import type { NovaClient } from '../../transport/nova-client.js';

export const GUEST_REFETCH_DEBOUNCE_MS = 250;

export interface GuestLists {
  /** null until the first answer of each. */
  readonly vms: readonly VmInfo[] | null;
  readonly capsules: readonly Capsule[] | null;
  readonly error: ErrorShape | null;
}

export const NO_GUEST_LISTS: GuestLists = { vms: null, capsules: null, error: null };

/** Reads both lists now and on every signal; `onChange` gets each new answer. Returns the stop. */
export function watchGuestLists(client: NovaClient, onChange: (lists: GuestLists) => void): () => void {
  let stopped = false;
  let seq = 0;
  let last = NO_GUEST_LISTS;
  const publish = (lists: GuestLists) => {
    last = lists;
    onChange(lists);
  };
  const load = async (): Promise<void> => {
    const mine = ++seq;
    try {
      const [{ vms }, { capsules }] = await Promise.all([client.call('vm.list', {}), client.call('capsule.list', {})]);
      if (!stopped && mine === seq) publish({ vms, capsules, error: null });
    } catch (err) {
      // The last good lists stay on screen under the error.
      if (!stopped && mine === seq) publish({ ...last, error: toErrorShape(err) });
    }
  };
  const refetch = debouncedRefetch(load, GUEST_REFETCH_DEBOUNCE_MS);
  void load();
  const offs = [
    client.on('vm.stateChanged', refetch.trigger),
    client.on('vm.healthChanged', refetch.trigger),
    client.on('capsule.stateChanged', refetch.trigger),
    client.on('capsule.healthChanged', refetch.trigger),
    client.on('connection.changed', (p) => {
      if (p.connected) refetch.trigger();
    }),
  ];
  return () => {
    stopped = true;
    refetch.cancel();
    for (const off of offs) off();
  };
}
