import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ARCHIVES, fileBytes } from './round-robin-file.js';
import { MetricsStore, type DamagedSeries } from './metrics-store.js';

const VM = { kind: 'vm', name: 'web' } as const;
const T0 = Date.UTC(2026, 0, 1); // a ten-minute boundary, so windows are easy to reason about
const values = (cpu: number) => [cpu, 1000 * cpu, 1, 2, 3, 4];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nv13m-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('MetricsStore', () => {
  it('keeps the last hour at 1 s and wraps around without growing the file', () => {
    const store = new MetricsStore(dir);
    // An hour and a half of samples: the first half hour is overwritten by the last.
    for (let s = 0; s < 5400; s++) store.record(VM, T0 + s * 1000, values(s % 100));
    const size = statSync(join(dir, 'vm.web.rrd')).size;
    expect(size).toBe(fileBytes());
    const now = T0 + 5399 * 1000;
    const hour = store.query(VM, '1h', now);
    expect(hour.stepSeconds).toBe(10);
    expect(hour.points).toHaveLength(360);
    expect(hour.points[0]?.t).toBe(T0 + 1800 * 1000);
    const minute = store.query(VM, '1m', now);
    expect(minute.points).toHaveLength(60);
    expect(minute.points.at(-1)).toMatchObject({ t: now, cpuPercent: 99, rssBytes: 99_000, netTxBps: 4 });
    store.close();
  });

  it('averages 1 s into 1 min and 1 min into 10 min as each window ends', () => {
    const store = new MetricsStore(dir);
    // 25 minutes: minute m has cpu = m for all its seconds.
    for (let s = 0; s < 25 * 60; s++) store.record(VM, T0 + s * 1000, values(Math.floor(s / 60)));
    const now = T0 + (25 * 60 - 1) * 1000;
    const day = store.query(VM, '1d', now);
    expect(day.stepSeconds).toBe(60);
    // 24 finished minutes plus the one still filling (from the 1 s points).
    expect(day.points.map((p) => p.cpuPercent)).toEqual(Array.from({ length: 25 }, (_, m) => m));
    const week = store.query(VM, '7d', now);
    expect(week.stepSeconds).toBe(600);
    // 0-9 averages 4.5, 10-19 averages 14.5, and the open window 20-24 averages 22.
    expect(week.points.map((p) => p.cpuPercent)).toEqual([4.5, 14.5, 22]);
    expect(store.query(VM, '30d', now).points).toHaveLength(3);
    store.close();
  });

  it('resumes after a restart (or a kill) from what is on disk, consolidating the minute it left', () => {
    const first = new MetricsStore(dir);
    for (let s = 0; s < 90; s++) first.record(VM, T0 + s * 1000, values(7));
    // No close(): a SIGKILL gives the store no chance to flush anything more.
    const second = new MetricsStore(dir);
    expect(second.query(VM, '1m', T0 + 89_000).points).toHaveLength(60);
    // Down for five minutes, then sampling again: minute 1 (seconds 60-89) is consolidated.
    second.record(VM, T0 + 400_000, values(9));
    const day = second.query(VM, '1d', T0 + 400_000);
    expect(day.points.map((p) => [p.t - T0, p.cpuPercent])).toEqual([
      [0, 7],
      [60_000, 7],
      [360_000, 9],
    ]);
    // A sample older than the newest one on disk is dropped, not written over it.
    second.record(VM, T0 + 100_000, values(50));
    expect(second.query(VM, '1h', T0 + 400_000).points.every((p) => p.cpuPercent !== 50)).toBe(true);
    first.close();
    second.close();
  });

  it('resets and reports a damaged file, and keeps recording', () => {
    const path = join(dir, 'vm.web.rrd');
    writeFileSync(path, 'not a metrics file at all');
    const reports: DamagedSeries[] = [];
    const store = new MetricsStore(dir, (d) => reports.push(d));
    expect(store.query(VM, '1m', T0).points).toEqual([]);
    expect(reports).toEqual([{ file: path, reason: expect.stringContaining('size') }]);
    store.record(VM, T0, values(5));
    expect(store.query(VM, '1m', T0).points).toHaveLength(1);
    store.close();
    // A right-sized file whose header was scribbled over is damaged too.
    const bytes = readFileSync(path);
    bytes.write('garbage!', 0, 'latin1');
    writeFileSync(path, bytes);
    const again = new MetricsStore(dir, (d) => reports.push(d));
    expect(again.query(VM, '1m', T0).points).toEqual([]);
    expect(reports[1]?.reason).toMatch(/not a Nova metrics file/);
    again.close();
  });

  it('reads a scribbled slot as no point rather than a wild value', () => {
    const store = new MetricsStore(dir);
    store.record(VM, T0, values(5));
    store.record(VM, T0 + 1000, values(6));
    store.close();
    const path = join(dir, 'vm.web.rrd');
    const bytes = readFileSync(path);
    // Slot of T0 in the 1 s archive: header (64) + (T0 / 1000 % 3600) * 32; its cpu value becomes NaN.
    bytes.writeFloatLE(Number.NaN, 64 + ((T0 / 1000) % 3600) * 32 + 8);
    writeFileSync(path, bytes);
    const again = new MetricsStore(dir);
    expect(again.query(VM, '1m', T0 + 1000).points.map((p) => p.cpuPercent)).toEqual([6]);
    again.close();
  });

  it('forgets a deleted resource\'s series and lists the stored ones', () => {
    const store = new MetricsStore(dir);
    store.record(VM, T0, values(1));
    store.record({ kind: 'capsule', name: 'db' }, T0, values(1));
    store.record({ kind: 'host', name: 'host' }, T0, values(1));
    expect(store.stored()).toEqual(expect.arrayContaining([VM, { kind: 'capsule', name: 'db' }, { kind: 'host', name: 'host' }]));
    store.forget(VM);
    expect(store.stored()).toHaveLength(2);
    expect(store.query(VM, '1m', T0).points).toEqual([]);
    store.close();
  });

  it('stays far under 50 MB for 10 VMs, 10 capsules and the host over 30 days (the format is fixed-size)', () => {
    const perSeries = fileBytes();
    expect(ARCHIVES.map((a) => (a.stepMs * a.slots) / 1000)).toEqual([3600, 86_400, 30 * 86_400]);
    expect(perSeries).toBe(64 + (3600 + 1440 + 4320) * 32);
    expect(21 * perSeries).toBeLessThan(50 * 1024 * 1024);
    expect(21 * perSeries).toBeLessThan(7 * 1024 * 1024);
  });
});
