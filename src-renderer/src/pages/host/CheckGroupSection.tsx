// One group of host checks (Hardware, Virtualization, ...) as a labelled region.
import { Container, Cpu, Layers, MonitorCog, Network, PcCase } from 'lucide-react';
import type { HostCheckGroup } from '../../../../src-shared/index.js';
import { describeCounts, type ReportGroup } from '../../lib/host-report.js';
import { CheckItemRow } from './CheckItemRow.js';

const GROUP_ICONS: Record<HostCheckGroup, typeof Cpu> = {
  hardware: Cpu,
  virtualization: Layers,
  devices: PcCase,
  containers: Container,
  networking: Network,
  desktop: MonitorCog,
};

export function CheckGroupSection({ group }: { group: ReportGroup }) {
  const Icon = GROUP_ICONS[group.group];
  const headingId = `group-${group.group}`;
  const worst = group.counts.fail ? 'fail' : group.counts.warn ? 'warn' : 'ok';
  return (
    <section className="check-group" aria-labelledby={headingId} data-group={group.group}>
      <header className="check-group__head">
        <h2 id={headingId}>
          <Icon aria-hidden="true" size={16} />
          {group.title}
        </h2>
        <span className={`check-group__counts check-group__counts--${worst}`}>{describeCounts(group.counts)}</span>
      </header>
      <ul className="check-group__items">
        {group.items.map((item) => (
          <CheckItemRow key={item.id} item={item} />
        ))}
      </ul>
    </section>
  );
}
