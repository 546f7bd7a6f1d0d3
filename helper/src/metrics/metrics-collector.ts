// The one metrics pipeline: every second it samples the host and each running capsule
// (cgroup and veth counters), takes each VM's sample from the VM manager's own 1 Hz
// sampling (which also feeds the live `vm.metricsSampled` events), turns counters into
// rates and records a point per series in the MetricsStore. A slow source skips its own
// turns and never delays another's; a failed read skips one point, never the pipeline.
import type { CapsuleMetrics } from '../../../src-shared/capsule.js';
import type { MetricsResource } from '../../../src-shared/api/metrics-api.js';
import type { VmMetrics } from '../../../src-shared/vm.js';
import { alignedTicker } from './aligned-ticker.js';
import type { KernelFiles } from './kernel-files.js';
import { CounterRates } from './counter-rates.js';
import type { HostCounters } from './host-sampler.js';
import type { MetricsStore } from './metrics-store.js';

export interface CollectorSources {
  host(): Promise<HostCounters>;
  /** Names of the capsules running now. */
  runningCapsules(): Promise<string[]>;
  capsuleMetrics(name: string): Promise<CapsuleMetrics>;
  /** Every VM and capsule that exists, so the history of deleted ones is dropped. */
  existing(): Promise<MetricsResource[]>;
}

export const HOST: MetricsResource = { kind: 'host', name: 'host' };
/** How often series of deleted resources are looked for, in ticks: a name reused within a minute may show the end of its predecessor's history. */
const PRUNE_EVERY_TICKS = 60;
/** How often the descriptors of guests no longer sampled are closed, in ticks. */
const SWEEP_EVERY_TICKS = 10;

export class MetricsCollector {
  private readonly rates = new CounterRates();
  private readonly inFlight = new Set<string>();
  private ticks = 0;

  constructor(
    private readonly store: MetricsStore,
    private readonly sources: CollectorSources,
    private readonly now: () => number = Date.now,
    /** The kept-open kernel files the samplers read, swept of those no longer read. */
    private readonly files: KernelFiles | null = null,
  ) {}

  /**
   * Records one VM sample (from VmManager.startSampling). Never throws: a store that cannot
   * write (a full disk, a file that cannot be opened) costs a point, not the sampler or the helper.
   */
  recordVm(m: VmMetrics): void {
    const at = Date.parse(m.sampledAt);
    if (!Number.isFinite(at)) return;
    const [rd, wr, rx, tx] = this.rates.rates(`vm/${m.name}`, at, [m.diskReadBytes, m.diskWriteBytes, m.netRxBytes, m.netTxBytes]);
    try {
      this.store.record({ kind: 'vm', name: m.name }, at, [m.cpuPercent, m.rssBytes, rd ?? 0, wr ?? 0, rx ?? 0, tx ?? 0]);
    } catch {
      // One missed point; the next sample tries again.
    }
  }

  /** Samples the host and capsules every `intervalMs`; returns a stop function. */
  start(intervalMs = 1000): () => void {
    void this.once('prune', () => this.prune());
    return alignedTicker(intervalMs, (second) => void this.tick(second));
  }

  /**
   * One round: the host and every running capsule, each unless its previous read is still
   * out. Points are filed under the round's second (`slotMs`), however long a read takes.
   */
  async tick(slotMs = this.now()): Promise<void> {
    const jobs = [this.once('host', () => this.sampleHost(slotMs))];
    if (++this.ticks % PRUNE_EVERY_TICKS === 0) jobs.push(this.once('prune', () => this.prune()));
    if (this.ticks % SWEEP_EVERY_TICKS === 0) this.files?.sweep();
    const capsules = await this.sources.runningCapsules().catch(() => []);
    for (const name of capsules) jobs.push(this.once(`capsule/${name}`, () => this.sampleCapsule(name, slotMs)));
    await Promise.all(jobs);
  }

  private async once(key: string, job: () => Promise<void>): Promise<void> {
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      await job();
    } catch {
      // One missed point; the next tick tries again.
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async sampleHost(slotMs: number): Promise<void> {
    const c = await this.sources.host();
    const at = this.now();
    const [busy, total, rd, wr, rx, tx] = this.rates.rates('host', at, [c.cpuBusyTicks, c.cpuTotalTicks, c.diskReadBytes, c.diskWriteBytes, c.netRxBytes, c.netTxBytes]);
    const cpu = total ? ((busy ?? 0) / total) * 100 : 0;
    this.store.record(HOST, slotMs, [cpu, c.memoryUsedBytes, rd ?? 0, wr ?? 0, rx ?? 0, tx ?? 0]);
  }

  private async sampleCapsule(name: string, slotMs: number): Promise<void> {
    const m = await this.sources.capsuleMetrics(name);
    const at = this.now();
    const [cpuNs, rd, wr, rx, tx] = this.rates.rates(`capsule/${name}`, at, [m.cpuUsageNs ?? 0, m.ioReadBytes ?? 0, m.ioWriteBytes ?? 0, m.netRxBytes ?? 0, m.netTxBytes ?? 0]);
    // Nanoseconds of CPU per second, as a percentage of one core (as `top` and the VM graphs count).
    this.store.record({ kind: 'capsule', name }, slotMs, [(cpuNs ?? 0) / 1e7, m.memoryBytes ?? 0, rd ?? 0, wr ?? 0, rx ?? 0, tx ?? 0]);
  }

  /** Drops the history of VMs and capsules that no longer exist. */
  private async prune(): Promise<void> {
    const existing = await this.sources.existing();
    const keep = new Set(existing.map((r) => `${r.kind}/${r.name}`));
    for (const ref of this.store.stored()) if (ref.kind !== 'host' && !keep.has(`${ref.kind}/${ref.name}`)) this.store.forget(ref);
    keep.add('host');
    this.rates.retain(keep);
  }
}
