// The helper's metrics history: one round-robin file per series (the host, each VM, each
// capsule) under the state dir's metrics/ folder. Samples go into the 1 s archive; when a
// sample starts a new minute, the minute that ended is averaged into the 1 min archive,
// and likewise each ten minutes into the 10 min archive. The consolidation reads only
// what is on disk, so after a crash or a restart it resumes from the newest point there.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsHistory, MetricsPoint, MetricsRange, MetricsResource } from '../../../src-shared/api/metrics-api.js';
import { ARCHIVES, RoundRobinFile, VALUE_NAMES, type Archive, type Point, type Values } from './round-robin-file.js';

const FILE_SUFFIX = '.rrd';
/** Names are already checked by the contract; this keeps a file name from ever being a path. */
const SAFE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Which archive serves a range, over what span, and the bucket points are averaged into. */
const RANGES: Record<MetricsRange, { archive: number; spanMs: number; stepMs: number }> = {
  '1m': { archive: 0, spanMs: 60_000, stepMs: 1_000 },
  '1h': { archive: 0, spanMs: 3_600_000, stepMs: 10_000 },
  '1d': { archive: 1, spanMs: 86_400_000, stepMs: 60_000 },
  '7d': { archive: 2, spanMs: 7 * 86_400_000, stepMs: 600_000 },
  '30d': { archive: 2, spanMs: 30 * 86_400_000, stepMs: 600_000 },
};

export interface DamagedSeries {
  readonly file: string;
  readonly reason: string;
}

interface Series {
  readonly file: RoundRobinFile;
  /** Time of the newest 1 s point, to notice when a minute or ten have ended. */
  last: number | null;
}

export function seriesFileName(ref: MetricsResource): string {
  if (ref.kind === 'host') return `host${FILE_SUFFIX}`;
  if (!SAFE_NAME.test(ref.name)) throw new Error(`not a series name: ${JSON.stringify(ref.name)}`);
  return `${ref.kind}.${ref.name}${FILE_SUFFIX}`;
}

export class MetricsStore {
  private readonly open = new Map<string, Series>();
  readonly damaged: DamagedSeries[] = [];

  constructor(
    private readonly dir: string,
    private readonly onDamaged: (d: DamagedSeries) => void = () => undefined,
    private readonly archives: readonly Archive[] = ARCHIVES,
  ) {}

  /** Records one sample taken at `atMs`; a sample not newer than the series' last second is dropped. */
  record(ref: MetricsResource, atMs: number, values: Values): void {
    const series = this.series(ref, true) as Series;
    const t = Math.floor(atMs / 1000) * 1000;
    if (series.last !== null && t <= series.last) return;
    if (series.last !== null) this.consolidate(series, series.last, t);
    series.file.write(0, t, values);
    series.last = t;
  }

  query(ref: MetricsResource, range: MetricsRange, now: number): MetricsHistory {
    const spec = RANGES[range];
    const answer = { kind: ref.kind, name: ref.name, range, stepSeconds: spec.stepMs / 1000 };
    const series = this.series(ref, false);
    if (!series) return { ...answer, points: [] };
    const from = now - spec.spanMs;
    let points = series.file.range(spec.archive, from, now);
    if (spec.archive > 0) {
      // The window still filling is not consolidated yet: show it from the 1 s points.
      const step = (this.archives[spec.archive] as Archive).stepMs;
      const open = Math.floor(now / step) * step;
      const partial = average(open, series.file.range(0, open - 1, now));
      if (partial) points.push(partial);
    }
    if (spec.stepMs > (this.archives[spec.archive] as Archive).stepMs) points = bucket(points, spec.stepMs);
    return { ...answer, points: points.map(toContract) };
  }

  /** Deletes a series' history (its resource was deleted). */
  forget(ref: MetricsResource): void {
    const name = seriesFileName(ref);
    this.open.get(name)?.file.close();
    this.open.delete(name);
    rmSync(join(this.dir, name), { force: true });
  }

  /** The series with a file on disk, so the owner can forget those whose resource is gone. */
  stored(): MetricsResource[] {
    const out: MetricsResource[] = [];
    for (const f of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      if (!f.endsWith(FILE_SUFFIX)) continue;
      const stem = f.slice(0, -FILE_SUFFIX.length);
      if (stem === 'host') {
        out.push({ kind: 'host', name: 'host' });
        continue;
      }
      const dot = stem.indexOf('.');
      const kind = stem.slice(0, dot);
      if (kind === 'vm' || kind === 'capsule') out.push({ kind, name: stem.slice(dot + 1) });
    }
    return out;
  }

  close(): void {
    for (const s of this.open.values()) s.file.close();
    this.open.clear();
  }

  private series(ref: MetricsResource, create: boolean): Series | null {
    const name = seriesFileName(ref);
    const known = this.open.get(name);
    if (known) return known;
    const path = join(this.dir, name);
    if (!create && !existsSync(path)) return null;
    const { file, damaged } = RoundRobinFile.open(path, this.archives);
    if (damaged) {
      const report = { file: path, reason: damaged };
      this.damaged.push(report);
      this.onDamaged(report);
    }
    const series = { file, last: file.newest(0) };
    this.open.set(name, series);
    return series;
  }

  /** Averages each coarser window that ended between `last` and `t` from the archive below it. */
  private consolidate(series: Series, last: number, t: number): void {
    for (let i = 1; i < this.archives.length; i++) {
      const step = (this.archives[i] as Archive).stepMs;
      const ended = Math.floor(last / step) * step;
      if (Math.floor(t / step) * step === ended) return;
      const p = average(ended, series.file.range(i - 1, ended - 1, ended + step - 1));
      if (p) series.file.write(i, ended, p.values);
    }
  }
}

function average(t: number, points: readonly Point[]): Point | null {
  if (points.length === 0) return null;
  const sums = new Array<number>(VALUE_NAMES.length).fill(0);
  for (const p of points) p.values.forEach((v, i) => (sums[i] = (sums[i] as number) + v));
  return { t, values: sums.map((s) => s / points.length) };
}

/** Averages points into buckets of `stepMs` aligned to the epoch. */
function bucket(points: readonly Point[], stepMs: number): Point[] {
  const out: Point[] = [];
  let start = NaN;
  let current: Point[] = [];
  for (const p of points) {
    const s = Math.floor(p.t / stepMs) * stepMs;
    if (s !== start && current.length > 0) out.push(average(start, current) as Point);
    if (s !== start) current = [];
    start = s;
    current.push(p);
  }
  if (current.length > 0) out.push(average(start, current) as Point);
  return out;
}

function toContract(p: Point): MetricsPoint {
  const [cpuPercent, memoryBytes, diskReadBps, diskWriteBps, netRxBps, netTxBps] = p.values as number[];
  return {
    t: p.t,
    cpuPercent: cpuPercent ?? 0,
    rssBytes: Math.round(memoryBytes ?? 0),
    diskReadBps: diskReadBps ?? 0,
    diskWriteBps: diskWriteBps ?? 0,
    netRxBps: netRxBps ?? 0,
    netTxBps: netTxBps ?? 0,
  };
}
