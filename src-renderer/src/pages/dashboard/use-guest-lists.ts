// The Dashboard's VMs and capsules: one `vm.list` and one `capsule.list`, read again when
// an event says a guest changed (state, health) or the helper came back. Events are
// signals to refetch, debounced, so a burst of them costs one read of each list.
import { useEffect, useState } from 'react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { debouncedRefetch } from '../../stores/resource-operations.js';

const REFETCH_DEBOUNCE_MS = 250;

export interface GuestLists {
  /** null until the first answer of each. */
  readonly vms: readonly VmInfo[] | null;
  readonly capsules: readonly Capsule[] | null;
  readonly error: ErrorShape | null;
}

export function useGuestLists(): GuestLists {
  const { client } = useServices();
  const [lists, setLists] = useState<GuestLists>({ vms: null, capsules: null, error: null });

  useEffect(() => {
    let stale = false;
    let seq = 0;
    const load = async (): Promise<void> => {
      const mine = ++seq;
      try {
        const [vms, { capsules }] = await Promise.all([client.call('vm.list', {}), client.call('capsule.list', {})]);
        if (!stale && mine === seq) setLists({ vms, capsules, error: null });
      } catch (err) {
        if (!stale && mine === seq) setLists((prev) => ({ ...prev, error: toErrorShape(err) }));
      }
    };
    const refetch = debouncedRefetch(load, REFETCH_DEBOUNCE_MS);
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
      stale = true;
      refetch.cancel();
      for (const off of offs) off();
    };
  }, [client]);

  return lists;
}
