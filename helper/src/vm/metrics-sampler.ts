// Per-VM resource use from the QEMU process and QMP: CPU % from /proc/PID/stat ticks,
// resident memory from /proc/PID/statm, disk bytes from query-blockstats. Every running
// VM is sampled at 1 Hz, each on its own; a sample is cheap (two preads on descriptors
// kept open, one QMP call).
import type { VmMetrics } from '../../../src-shared/vm.js';
import { alignedTicker } from '../metrics/aligned-ticker.js';
import { metricsFiles, type KernelFiles } from '../metrics/kernel-files.js';
import type { QmpBlockStats } from './qmp-client.js';

const CLOCK_TICKS = 100; // USER_HZ on Linux x86
const PAGE_SIZE = 4096;

export interface ProcSample {
  ticks: number;
  rssBytes: number;
  atMs: number;
}

export async function readProcSample(pid: number, procRoot = '/proc', files: KernelFiles = metricsFiles): Promise<ProcSample | null> {
  const stat = files.read(`${procRoot}/${pid}/stat`);
  const statm = files.read(`${procRoot}/${pid}/statm`);
  if (stat === null || statm === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // fields[0] is field 3; utime and stime are fields 14 and 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(statm.trim().split(/\s+/)[1]);
  return { ticks, rssBytes: rssPages * PAGE_SIZE, atMs: Date.now() };
}

export function cpuPercent(prev: ProcSample | undefined, cur: ProcSample): number {
  if (!prev || cur.atMs <= prev.atMs) return 0;
  const seconds = (cur.atMs - prev.atMs) / 1000;
  return Math.max(0, ((cur.ticks - prev.ticks) / CLOCK_TICKS / seconds) * 100);
}

export function buildMetrics(name: string, prev: ProcSample | undefined, cur: ProcSample, blocks: QmpBlockStats[]): VmMetrics {
  let rd = 0;
  let wr = 0;
  for (const b of blocks) {
    rd += b.stats.rd_bytes;
    wr += b.stats.wr_bytes;
  }
  return {
    name,
    sampledAt: new Date(cur.atMs).toISOString(),
    cpuPercent: Math.round(cpuPercent(prev, cur) * 10) / 10,
    rssBytes: cur.rssBytes,
    diskReadBytes: rd,
    diskWriteBytes: wr,
    // User-mode networking has no tap to count; taps arrive with Nova networks.
    netRxBytes: 0,
    netTxBytes: 0,
  };
}

/** What sampleEach samples: a running VM. */
export interface Sampled {
  readonly name: string;
  metrics(): Promise<VmMetrics>;
}

/**
 * Samples every VM `vms()` gives every `intervalMs`, each on its own: a VM whose monitor
 * is slow or silent skips its own turns and never delays another's. Ticks follow the wall
 * clock's seconds, so each sample lands in its own second of the metrics store. Returns a stop function.
 */
export function sampleEach(vms: () => Iterable<Sampled>, onSample: (m: VmMetrics) => void, intervalMs: number): () => void {
  const inFlight = new Set<string>();
  return alignedTicker(intervalMs, () => {
    for (const vm of vms()) {
      if (inFlight.has(vm.name)) continue;
      inFlight.add(vm.name);
      void vm
        .metrics()
        .then(onSample, () => undefined)
        .finally(() => inFlight.delete(vm.name));
    }
  });
}
