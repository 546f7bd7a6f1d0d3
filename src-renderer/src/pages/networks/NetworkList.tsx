// The networks as a table: name (a link to its page), profile, subnet, state with the
// reasons when it is not active (or what holds it), and how many VMs and capsules are
// attached.
import type { Network } from '../../../../src-shared/network.js';
import { networkDetailHref } from '../../lib/network-route.js';
import { useBusyByName } from '../../lib/use-resource-busy.js';
import type { BrokenRecord } from '../../../../src-shared/broken-record.js';
import { BrokenRecordRows } from '../../components/BrokenRecordRows.js';
import { NetworkStatusLine } from './NetworkStateBadge.js';

function profileText(n: Network): string {
  return n.type === 'overlay' ? `overlay (${n.driver ?? 'vxlan'}, VNI ${n.vni ?? '?'})` : n.profile;
}

export function NetworkList({ networks, broken = [] }: { networks: readonly Network[]; broken?: readonly BrokenRecord[] }) {
  const busy = useBusyByName('network');
  if (networks.length === 0 && broken.length === 0) {
    return (
      <div className="empty-state">
        <p className="empty-state__title">No networks yet</p>
        <p className="muted">Create one to give VMs and capsules a bridge, with NAT, DHCP and DNS, or a way onto the LAN.</p>
      </div>
    );
  }
  return (
    <table className="data-table" aria-label="Networks" data-method="network.list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Profile</th>
          <th scope="col">Subnet</th>
          <th scope="col">State</th>
          <th scope="col" className="data-table__num">
            Attached
          </th>
        </tr>
      </thead>
      <tbody>
        {networks.map((n) => (
          <tr key={n.name} data-network={n.name}>
            <th scope="row">
              <a href={networkDetailHref(n.name)} className="data-table__name">
                {n.name}
              </a>
            </th>
            <td>{profileText(n)}</td>
            <td>{n.subnet ? <code>{n.subnet}</code> : <span className="muted">none</span>}</td>
            <td data-column="state">
              <NetworkStatusLine status={n.status} busy={busy[n.name] ?? null} />
            </td>
            <td className="data-table__num" data-column="attached">
              {n.attachments.length}
            </td>
          </tr>
        ))}
        <BrokenRecordRows broken={broken} columns={5} />
      </tbody>
    </table>
  );
}
