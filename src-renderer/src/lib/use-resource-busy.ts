// The resource pages' view of resource-busy.ts: one resource's busy state for a page,
// every busy resource of a kind for a list. Both follow the operation store, so an
// operation started anywhere shows at once.
import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { ResourceKind } from '../../../src-shared/operation.js';
import { useServices } from '../app/services.js';
import { busyByName, busyOf, runningOn, type ResourceBusy } from '../stores/resource-busy.js';

export function useResourceBusy(kind: ResourceKind, name: string, localLabel?: string): ResourceBusy | null {
  const { operations } = useServices();
  // The operation object itself: unchanged between progress reports of other operations.
  const op = useStore(operations, (s) => runningOn(s.byId, { kind, name }));
  return useMemo(() => busyOf(op, localLabel), [op, localLabel]);
}

export function useBusyByName(kind: ResourceKind, pending?: Readonly<Record<string, string>>): Readonly<Record<string, ResourceBusy>> {
  const { operations } = useServices();
  const byId = useStore(operations, (s) => s.byId);
  return useMemo(() => busyByName(byId, kind, pending), [byId, kind, pending]);
}
