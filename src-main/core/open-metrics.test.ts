import { describe, expect, it } from 'vitest';
import type { MetricsPoint } from '../../src-shared/api/metrics-api.js';
import { parseOpenMetrics } from './open-metrics-parser.js';
import { renderOpenMetrics, type MetricsSnapshot } from './open-metrics.js';

const point = (cpu: number): MetricsPoint => ({ t: 1_767_225_600_000, cpuPercent: cpu, rssBytes: 512 * 1024 * 1024, diskReadBps: 1.2345, diskWriteBps: 0, netRxBps: 100, netTxBps: 50 });

const SAMPLE_SNAPSHOT: MetricsSnapshot = {
  host: point(37.5),
  vms: [{ name: 'web', point: point(12.5) }, { name: 'db', point: point(3) }],
  capsules: [{ name: 'cache_1', point: point(0.5) }],
};

describe('OpenMetrics text', () => {
  it('parses as OpenMetrics: a gauge family per field and subject, HELP and TYPE first, # EOF last', () => {
    const text = renderOpenMetrics(SAMPLE_SNAPSHOT);
    const families = parseOpenMetrics(text);
    expect([...families.values()].every((f) => f.type === 'gauge' && f.help)).toBe(true);
    expect(families.get('nova_host_cpu_percent')?.samples).toEqual([{ name: 'nova_host_cpu_percent', labels: {}, value: 37.5 }]);
    expect(families.get('nova_vm_cpu_percent')?.samples.map((s) => [s.labels.name, s.value])).toEqual([
      ['web', 12.5],
      ['db', 3],
    ]);
    expect(families.get('nova_capsule_memory_bytes')?.samples).toEqual([{ name: 'nova_capsule_memory_bytes', labels: { name: 'cache_1' }, value: 536_870_912 }]);
    expect(families.get('nova_vm_disk_read_bytes_per_second')?.samples[0]?.value).toBe(1.235);
    expect(text).toContain('nova_vm_cpu_percent{name="web"} 12.5\n');
  });

  it('still declares every family when nothing runs, so a scraper sees the same names', () => {
    const families = parseOpenMetrics(renderOpenMetrics({ host: null, vms: [], capsules: [] }));
    expect(families.size).toBe(18);
    expect([...families.values()].every((f) => f.samples.length === 0)).toBe(true);
  });

  it('escapes label values', () => {
    const text = renderOpenMetrics({ host: null, vms: [{ name: 'a"b\\c', point: point(1) }], capsules: [] });
    expect(parseOpenMetrics(text).get('nova_vm_cpu_percent')?.samples[0]?.labels.name).toBe('a"b\\c');
  });

  it('the parser refuses what a scraper would refuse', () => {
    expect(() => parseOpenMetrics('x 1\n')).toThrow(/EOF/);
    expect(() => parseOpenMetrics('x 1\n# EOF\n')).toThrow(/outside its family/);
    expect(() => parseOpenMetrics('# TYPE x gauge\nx one\n# EOF\n')).toThrow(/not a number/);
    expect(() => parseOpenMetrics('# TYPE x gauge\nx{name=web} 1\n# EOF\n')).toThrow(/bad labels/);
    expect(() => parseOpenMetrics('# TYPE x gauge\n# TYPE y gauge\n# HELP x late\n# EOF\n')).toThrow(/not contiguous/);
  });
});
