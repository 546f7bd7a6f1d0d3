// The host check as a person reads it in a terminal: grouped, one line per item,
// status in words (and colour when stdout is a terminal), evidence and remedy beneath.
import type { HostCheckGroup, HostReport } from '../../src-shared/index.js';

const GROUP_TITLES: Record<HostCheckGroup, string> = {
  hardware: 'Hardware',
  virtualization: 'Virtualization',
  devices: 'Devices and passthrough',
  containers: 'Containers',
  networking: 'Networking',
  desktop: 'Desktop',
};

const STATUS_WORD = { ok: 'OK', warn: 'WARN', fail: 'FAIL' } as const;
const STATUS_COLOUR = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' } as const;

export function formatHostReport(report: HostReport, colour: boolean): string {
  const lines: string[] = [];
  const paint = (s: keyof typeof STATUS_WORD) =>
    colour ? `${STATUS_COLOUR[s]}${STATUS_WORD[s].padEnd(4)}\x1b[0m` : STATUS_WORD[s].padEnd(4);
  lines.push(
    `Host ${report.hostname}: VMs will use ${report.accelerator === 'kvm' ? 'KVM (hardware virtualization)' : 'TCG (software emulation)'}; ` +
      `capsules will use ${report.ociRuntime ?? 'no OCI runtime (none works)'}`,
  );
  lines.push(`Checked ${report.generatedAt}${report.cached ? ' (cached; --refresh re-runs the probes)' : ''}`);
  for (const group of Object.keys(GROUP_TITLES) as HostCheckGroup[]) {
    const items = report.items.filter((i) => i.group === group);
    if (items.length === 0) continue;
    lines.push('', GROUP_TITLES[group]);
    for (const item of items) {
      lines.push(`  ${paint(item.status)}  ${item.label}: ${item.summary}`);
      for (const e of item.evidence) lines.push(`          ${e}`);
      if (item.remedy) lines.push(`          -> ${item.remedy}`);
    }
  }
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const i of report.items) counts[i.status]++;
  lines.push('', `${counts.ok} ok, ${counts.warn} warnings, ${counts.fail} failed`);
  return lines.join('\n') + '\n';
}
