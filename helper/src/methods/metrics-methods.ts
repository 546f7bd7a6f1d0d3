// Metrics history handlers: the store answers; a VM or capsule that does not exist is
// `not_found` rather than an empty history, so a mistyped name says so.
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import { HOST } from '../metrics/metrics-collector.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { VmManager } from '../vm/vm-manager.js';
import type { HelperHandlers } from './handler-table.js';

export type MetricsMethodName = Extract<HelperMethodName, `${string}.metricsHistory`>;
export type MetricsHandlers = Pick<HelperHandlers, MetricsMethodName>;

export interface MetricsMethodDeps {
  store: MetricsStore;
  vms: Pick<VmManager, 'get'>;
  capsules: Pick<CapsuleManager, 'get'>;
  now?: () => number;
}

export function metricsHandlers(deps: MetricsMethodDeps): MetricsHandlers {
  const now = deps.now ?? Date.now;
  return {
    'vm.metricsHistory': async ({ name, range }) => {
      await deps.vms.get(name);
      return deps.store.query({ kind: 'vm', name }, range, now());
    },
    'capsule.metricsHistory': async ({ name, range }) => {
      await deps.capsules.get(name);
      return deps.store.query({ kind: 'capsule', name }, range, now());
    },
    'host.metricsHistory': async ({ range }) => deps.store.query(HOST, range, now()),
  };
}
