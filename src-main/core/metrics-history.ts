// Main's memory of each VM's metrics, fed by the helper's 1 Hz `vm.metricsSampled`
// events: the last hour at 1 s and the last day at 1 min averages, in fixed-size rings,
// so memory stays bounded however long Nova runs. Serves `vm.metricsHistory`.
import type { NovaEvent } from '../../src-shared/api/events.js';
import type { VmMetrics } from '../../src-shared/vm.js';
import type { MetricsHistory as HistoryAnswer, MetricsPoint, MetricsRange } from '../../src-shared/api/metrics-api.js';

const FINE_CAPACITY = 3600; // one hour of 1 s points
const COARSE_CAPACITY = 1440; // one day of 1 min points
const MINUTE_MS = 60_000;
/** A gap longer than this between samples (a stop, a helper restart) is not a rate. */
const MAX_RATE_GAP_MS = 10_000;
/** VMs remembered at most; the one not heard from longest is forgotten first. */
const DEFAULT_MAX_VMS = 256;

const RANGE_SPEC: Record<MetricsRange, { spanMs: number; stepSeconds: number; source: 'fine' | 'coarse' }> = {
  '1m': { spanMs: 60_000, stepSeconds: 1, source: 'fine' },
  '1h': { spanMs: 3_600_000, stepSeconds: 10, source: 'fine' },
  '1d': { spanMs: 86_400_000, stepSeconds: 60, source: 'coarse' },
};

/** A fixed-capacity ring: push overwrites the oldest; toArray is oldest first. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const at = (this.start + this.count) % this.capacity;
    this.items[at] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.start + this.count - 1) % this.capacity];
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }
}

interface VmSeries {
  fine: Ring<MetricsPoint>;
  coarse: Ring<MetricsPoint>;
  /** The previous raw sample, to turn cumulative counters into rates. */
  previous: { at: number; sample: VmMetrics } | null;
  /** The minute being averaged into the next coarse point. */
  minute: { start: number; points: MetricsPoint[] } | null;
  lastSeen: number;
}

export class MetricsHistory {
  private readonly vms = new Map<string, VmSeries>();

  constructor(private readonly maxVms = DEFAULT_MAX_VMS) {}

  /** Records one helper sample. Samples out of order (older than the last) are dropped. */
  record(sample: VmMetrics): void {
    const at = Date.parse(sample.sampledAt);
    if (!Number.isFinite(at)) return;
    const series = this.seriesFor(sample.name);
    const prev = series.previous;
    if (prev && at <= prev.at) return;
    const point = toPoint(at, sample, prev);
    series.previous = { at, sample };
    series.lastSeen = at;
    series.fine.push(point);

    const minuteStart = Math.floor(at / MINUTE_MS) * MINUTE_MS;
    if (series.minute && series.minute.start !== minuteStart) {
      series.coarse.push(average(series.minute.start, series.minute.points));
      series.minute = null;
    }
    series.minute ??= { start: minuteStart, points: [] };
    series.minute.points.push(point);
  }

  /** Follows an event source (main's EventHub); returns the unsubscribe. */
  follow(source: { subscribe(listener: (event: NovaEvent) => void): () => void }): () => void {
    return source.subscribe((event) => {
      if (event.name === 'vm.metricsSampled') this.record(event.payload);
    });
  }

  /** Drops a VM's history (it was deleted). */
  forget(name: string): void {
    this.vms.delete(name);
  }

  get trackedVms(): number {
    return this.vms.size;
  }

  query(name: string, range: MetricsRange, now = Date.now()): HistoryAnswer {
    const spec = RANGE_SPEC[range];
    const series = this.vms.get(name);
    const since = now - spec.spanMs;
    if (!series) return { name, range, stepSeconds: spec.stepSeconds, points: [] };
    let points: MetricsPoint[];
    if (spec.source === 'fine') {
      points = series.fine.toArray().filter((p) => p.t > since);
      if (spec.stepSeconds > 1) points = bucket(points, spec.stepSeconds * 1000);
    } else {
      points = series.coarse.toArray();
      // The minute still filling is shown too, so a fresh VM's day graph is not empty.
      if (series.minute) points.push(average(series.minute.start, series.minute.points));
      points = points.filter((p) => p.t > since - MINUTE_MS);
    }
    return { name, range, stepSeconds: spec.stepSeconds, points };
  }

  private seriesFor(name: string): VmSeries {
    let series = this.vms.get(name);
    if (series) return series;
    if (this.vms.size >= this.maxVms) {
      let oldest: string | null = null;
      let oldestSeen = Infinity;
      for (const [n, s] of this.vms) {
        if (s.lastSeen < oldestSeen) {
          oldestSeen = s.lastSeen;
          oldest = n;
        }
      }
      if (oldest !== null) this.vms.delete(oldest);
    }
    series = { fine: new Ring(FINE_CAPACITY), coarse: new Ring(COARSE_CAPACITY), previous: null, minute: null, lastSeen: 0 };
    this.vms.set(name, series);
    return series;
  }
}

function toPoint(at: number, s: VmMetrics, prev: { at: number; sample: VmMetrics } | null): MetricsPoint {
  const dt = prev ? (at - prev.at) / 1000 : 0;
  // A counter that went down means QEMU restarted: no rate for this one point.
  const rate = (now: number, before: number | undefined): number =>
    prev && before !== undefined && dt > 0 && at - prev.at <= MAX_RATE_GAP_MS && now >= before ? (now - before) / dt : 0;
  return {
    t: at,
    cpuPercent: s.cpuPercent,
    rssBytes: s.rssBytes,
    diskReadBps: rate(s.diskReadBytes, prev?.sample.diskReadBytes),
    diskWriteBps: rate(s.diskWriteBytes, prev?.sample.diskWriteBytes),
    netRxBps: rate(s.netRxBytes, prev?.sample.netRxBytes),
    netTxBps: rate(s.netTxBytes, prev?.sample.netTxBytes),
  };
}

function average(t: number, points: MetricsPoint[]): MetricsPoint {
  const n = points.length || 1;
  const sum = (pick: (p: MetricsPoint) => number) => points.reduce((acc, p) => acc + pick(p), 0) / n;
  return {
    t,
    cpuPercent: sum((p) => p.cpuPercent),
    rssBytes: Math.round(sum((p) => p.rssBytes)),
    diskReadBps: sum((p) => p.diskReadBps),
    diskWriteBps: sum((p) => p.diskWriteBps),
    netRxBps: sum((p) => p.netRxBps),
    netTxBps: sum((p) => p.netTxBps),
  };
}

/** Averages consecutive points into buckets of `stepMs` aligned to the epoch. */
function bucket(points: MetricsPoint[], stepMs: number): MetricsPoint[] {
  const out: MetricsPoint[] = [];
  let current: { start: number; points: MetricsPoint[] } | null = null;
  for (const p of points) {
    const start = Math.floor(p.t / stepMs) * stepMs;
    if (current && current.start !== start) {
      out.push(average(current.start, current.points));
      current = null;
    }
    current ??= { start, points: [] };
    current.points.push(p);
  }
  if (current) out.push(average(current.start, current.points));
  return out;
}
