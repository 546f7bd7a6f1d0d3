import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VmMetrics } from '../../../src-shared/vm.js';
import { buildMetrics, cpuPercent, readProcSample, sampleEach } from './metrics-sampler.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('metrics sampler', () => {
  it('reads utime+stime and RSS from a proc tree, even with a spaced command name', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv3-metrics-'));
    await mkdir(join(dir, '42'));
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[11] = '250'; // utime (field 14)
    fields[12] = '50'; // stime (field 15)
    await writeFile(join(dir, '42/stat'), `42 (qemu (vm) x) ${fields.join(' ')}\n`);
    await writeFile(join(dir, '42/statm'), '1000 256 10 1 0 100 0\n');
    const s = await readProcSample(42, dir);
    expect(s).toMatchObject({ ticks: 300, rssBytes: 256 * 4096 });
  });

  it('computes CPU % of one core between two samples', () => {
    expect(cpuPercent({ ticks: 100, rssBytes: 0, atMs: 0 }, { ticks: 150, rssBytes: 0, atMs: 1000 })).toBe(50);
    expect(cpuPercent(undefined, { ticks: 150, rssBytes: 0, atMs: 1000 })).toBe(0);
  });

  it('sums block stats across devices', () => {
    const m = buildMetrics('a', undefined, { ticks: 0, rssBytes: 8192, atMs: 0 }, [
      { device: '', node_name: 'disk0', stats: { rd_bytes: 10, wr_bytes: 1, rd_operations: 1, wr_operations: 1 } },
      { device: '', node_name: 'disk1', stats: { rd_bytes: 5, wr_bytes: 2, rd_operations: 1, wr_operations: 1 } },
    ]);
    expect(m).toMatchObject({ diskReadBytes: 15, diskWriteBytes: 3, rssBytes: 8192 });
  });
});

describe('sampleEach', () => {
  it('keeps sampling the other VMs while one monitor never answers, and never piles calls on the silent one', async () => {
    const calls = { silent: 0, fine: 0 };
    const samples: string[] = [];
    const vms = [
      { name: 'silent', metrics: () => (calls.silent++, new Promise<VmMetrics>(() => undefined)) },
      { name: 'fine', metrics: async () => (calls.fine++, { name: 'fine' } as VmMetrics) },
    ];
    const stop = sampleEach(() => vms, (m) => samples.push(m.name), 10);
    await new Promise((r) => setTimeout(r, 200));
    stop();
    expect(calls.silent).toBe(1);
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(new Set(samples)).toEqual(new Set(['fine']));
  });
});
