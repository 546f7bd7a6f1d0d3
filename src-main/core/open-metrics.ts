// The OpenMetrics text web mode serves at /metrics, for users who run Prometheus: the
// newest point of the helper's history for the host and each running VM and capsule,
// as gauges (rates already per second), stamped by the scraper as Prometheus prefers.
// Rendering is a pure function of a snapshot.
import type { MetricsPoint } from '../../src-shared/api/metrics-api.js';
import type { HelperClient } from './helper-client.js';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface MetricsSnapshot {
  host: MetricsPoint | null;
  vms: ReadonlyArray<{ name: string; point: MetricsPoint }>;
  capsules: ReadonlyArray<{ name: string; point: MetricsPoint }>;
}

const FIELDS: ReadonlyArray<{ key: keyof Omit<MetricsPoint, 't'>; suffix: string; help: string }> = [
  { key: 'cpuPercent', suffix: 'cpu_percent', help: 'CPU use in percent of one core (the host: of all cores)' },
  { key: 'rssBytes', suffix: 'memory_bytes', help: 'Memory in use' },
  { key: 'diskReadBps', suffix: 'disk_read_bytes_per_second', help: 'Bytes read from disk per second' },
  { key: 'diskWriteBps', suffix: 'disk_write_bytes_per_second', help: 'Bytes written to disk per second' },
  { key: 'netRxBps', suffix: 'network_receive_bytes_per_second', help: 'Bytes received per second' },
  { key: 'netTxBps', suffix: 'network_transmit_bytes_per_second', help: 'Bytes sent per second' },
];

const SUBJECTS = [
  { prefix: 'nova_host', what: 'the host' },
  { prefix: 'nova_vm', what: 'a VM (its QEMU process)' },
  { prefix: 'nova_capsule', what: 'a capsule (its cgroup)' },
] as const;

export function renderOpenMetrics(s: MetricsSnapshot): string {
  const lines: string[] = [];
  const series: Array<ReadonlyArray<{ labels: string; point: MetricsPoint }>> = [
    s.host ? [{ labels: '', point: s.host }] : [],
    s.vms.map((v) => ({ labels: `{name="${escapeLabel(v.name)}"}`, point: v.point })),
    s.capsules.map((c) => ({ labels: `{name="${escapeLabel(c.name)}"}`, point: c.point })),
  ];
  SUBJECTS.forEach((subject, i) => {
    for (const f of FIELDS) {
      const family = `${subject.prefix}_${f.suffix}`;
      lines.push(`# TYPE ${family} gauge`, `# HELP ${family} ${f.help}, of ${subject.what}.`);
      for (const { labels, point } of series[i] ?? []) lines.push(`${family}${labels} ${formatValue(point[f.key])}`);
    }
  });
  lines.push('# EOF');
  return lines.join('\n') + '\n';
}

/** Reads the snapshot from the helper: the newest 1 s point of each series. */
export async function readMetricsSnapshot(helper: HelperClient): Promise<MetricsSnapshot> {
  const newest = (h: { points: MetricsPoint[] }) => h.points.at(-1) ?? null;
  const [host, vms, capsules] = await Promise.all([helper.call('host.metricsHistory', { range: '1m' }), helper.call('vm.list', {}), helper.call('capsule.list', {})]);
  const guest = async (name: string, read: (name: string) => Promise<{ points: MetricsPoint[] }>) => {
    const point = newest(await read(name).catch(() => ({ points: [] })));
    return point ? [{ name, point }] : [];
  };
  const vmPoints = await Promise.all(vms.vms.filter((v) => v.state === 'running').map((v) => guest(v.definition.name, (name) => helper.call('vm.metricsHistory', { name, range: '1m' }))));
  const capsulePoints = await Promise.all(capsules.capsules.filter((c) => c.state === 'running').map((c) => guest(c.name, (name) => helper.call('capsule.metricsHistory', { name, range: '1m' }))));
  return { host: newest(host), vms: vmPoints.flat(), capsules: capsulePoints.flat() };
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
