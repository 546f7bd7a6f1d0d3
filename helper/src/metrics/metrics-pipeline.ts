// Composition of the metrics pipeline for the helper's main: the store under the state
// dir, the host sampler, and the collector reading the VM and capsule managers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VmMetrics } from '../../../src-shared/vm.js';
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import type { Logger } from '../util/logger.js';
import type { VmManager } from '../vm/vm-manager.js';
import { HostSampler } from './host-sampler.js';
import { metricsFiles } from './kernel-files.js';
import { MetricsCollector } from './metrics-collector.js';
import { MetricsStore } from './metrics-store.js';

export interface MetricsPipeline {
  readonly store: MetricsStore;
  recordVm(m: VmMetrics): void;
  stop(): void;
}

export function startMetricsPipeline(o: { stateDir: string; vms: VmManager; capsules: CapsuleManager; logger: Logger }): MetricsPipeline {
  const dir = join(o.stateDir, 'metrics');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new MetricsStore(dir, (d) => o.logger.warn({ file: d.file, reason: d.reason }, 'metrics history was damaged and has been reset'));
  const host = new HostSampler();
  const collector = new MetricsCollector(store, {
    host: () => host.sample(),
    runningCapsules: async () => (await o.capsules.list()).filter((c) => c.state === 'running').map((c) => c.name),
    capsuleMetrics: (name) => o.capsules.metrics(name),
    existing: async () => [
      ...(await o.vms.list()).map((v) => ({ kind: 'vm' as const, name: v.definition.name })),
      ...(await o.capsules.list()).map((c) => ({ kind: 'capsule' as const, name: c.name })),
    ],
  }, Date.now, metricsFiles);
  const stopCollecting = collector.start();
  return {
    store,
    recordVm: (m) => collector.recordVm(m),
    stop: () => {
      stopCollecting();
      store.close();
      metricsFiles.close();
    },
  };
}
