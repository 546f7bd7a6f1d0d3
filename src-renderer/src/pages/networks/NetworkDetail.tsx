// One network's page: its bridge and settings, why it is degraded or down, an overlay's
// peers (edited here for WireGuard, whose public key is copied from here), what is
// attached, the DHCP leases dnsmasq handed out, its port forwards (added and removed
// here), its changeable settings (NetworkSettings) and its egress policy. Deleting asks first (ConfirmDialog) and says when done; while
// an operation holds the network, the changes are off and say what holds it.
import { ArrowLeft, LoaderCircle, Trash2 } from 'lucide-react';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { DhcpLease, EgressRule, Network } from '../../../../src-shared/network.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { announce } from '../../stores/toast-store.js';
import { PageHeader } from '../../components/PageHeader.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { attachmentResourceHref, networksListHref } from '../../lib/network-route.js';
import { useResourceBusy } from '../../lib/use-resource-busy.js';
import type { NetworkStoreState } from '../../stores/network-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectOwnerLine } from '../projects/ProjectOwner.js';
import { CopyButton } from './CopyButton.js';
import { NetworkForwards } from './NetworkForwards.js';
import { NetworkPeers } from './NetworkPeers.js';
import { NetworkSection } from './NetworkSection.js';
import { NetworkRepairAction, NetworkRepairNotice } from './NetworkRepair.js';
import { NetworkSettings } from './NetworkSettings.js';
import { NetworkStatusLine } from './NetworkStateBadge.js';

interface NetworkDetailProps {
  readonly network: Network;
  readonly actions: Pick<NetworkStoreState, 'remove' | 'addForward' | 'removeForward'>;
}

export function NetworkDetail({ network: n, actions }: NetworkDetailProps) {
  const busy = useResourceBusy('network', n.name);
  const { confirm, dialog } = useConfirm();
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<ErrorShape | null>(null);

  const remove = async (): Promise<void> => {
    if (busy || deleting) return;
    const guests = n.attachments.length;
    const yes = await confirm({
      title: `Delete network ${n.name}?`,
      body: <p>{`${guests === 0 ? 'Nothing is attached to it.' : `${guests} attached guest${guests === 1 ? ' loses its' : 's lose their'} link to it.`} Its bridge, DHCP leases, forwards and firewall rules go. This cannot be undone.`}</p>,
      confirmLabel: 'Delete',
    });
    if (!yes) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      await actions.remove(n.name);
      announce(`Deleted network '${n.name}'`);
      window.location.hash = networksListHref();
    } catch (err) {
      setDeleteError(toErrorShape(err));
      setDeleting(false);
    }
  };

  return (
    <>
      <PageHeader
        title={n.name}
        subtitle={`${n.type === 'overlay' ? 'Overlay' : 'Bridge'} network · ${n.profile}`}
        actions={
          <>
            <a className="button" href={networksListHref()}>
              <ArrowLeft aria-hidden="true" size={14} />
              All networks
            </a>
            <NetworkRepairAction network={n} busy={busy} />
            <button type="button" className="button" data-method="network.delete" onClick={() => void remove()} aria-disabled={deleting || busy ? true : undefined} title={busy?.reason} aria-label="Delete network">
              {deleting ? <LoaderCircle aria-hidden="true" size={14} className="spin" /> : <Trash2 aria-hidden="true" size={14} />}
              {deleting ? 'Deleting…' : 'Delete network'}
            </button>
          </>
        }
      />
      <div className="page-body" data-method="network.get">
        <ProjectOwnerLine project={n.project} />
        <ResourceOperations resource={{ kind: 'network', name: n.name }} label={`Operations on ${n.name}`} />
        {deleteError && <ErrorPanel context={`Could not delete ${n.name}`} error={deleteError} />}
        <NetworkRepairNotice network={n} busy={busy} />
        <Overview network={n} busy={busy} />
        <NetworkSettings network={n} held={busy} />
        {n.type === 'overlay' && <NetworkPeers network={n} held={busy} />}
        <Attachments network={n} />
        <Leases network={n} />
        <NetworkForwards network={n} actions={actions} held={busy} />
        <Egress rules={n.egressAllow} profile={n.profile} />
      </div>
      {dialog}
    </>
  );
}

function Overview({ network: n, busy }: { network: Network; busy: ResourceBusy | null }) {
  const id = useId();
  // A third element widens the row: a 44-character key reads badly when wrapped.
  const facts: Array<[string, ReactNode, 'wide'?]> = [
    ['State', <NetworkStatusLine key="s" status={n.status} busy={busy} />],
    ['Bridge', <code key="b">{n.bridge}</code>],
    ['Subnet', n.subnet ? <code key="sn">{n.subnet}</code> : 'none'],
    ['Host address', n.gateway ? <code key="g">{n.gateway}</code> : 'none'],
    ['DHCP', n.dhcpRange ? <code key="d">{`${n.dhcpRange.start} – ${n.dhcpRange.end}`}</code> : 'off'],
    ['DNS', n.dns && n.domain ? <span key="dns">guests resolve as <code>NAME.{n.domain}</code></span> : 'off'],
    [n.type === 'overlay' ? 'Underlay' : 'Uplinks', n.uplinks.length > 0 ? <code key="u">{n.uplinks.join(', ')}</code> : 'none'],
  ];
  if (n.type === 'overlay') {
    facts.push(['Driver', `${n.driver ?? '?'}, VNI ${n.vni ?? '?'}`]);
  }
  // The other hosts list this one as "KEY@address:port": the key is what the user copies.
  if (n.wireguard) {
    facts.push([
      'Public key',
      <span key="wgk" className="copy-value">
        <code aria-label="WireGuard public key">{n.wireguard.publicKey}</code>
        <CopyButton value={n.wireguard.publicKey} label="Copy public key" />
      </span>,
      'wide',
    ]);
    facts.push(['Tunnel', <code key="wgt">{`${n.wireguard.interface}, port ${n.wireguard.listenPort}/udp, ${n.wireguard.tunnelAddress}`}</code>, 'wide']);
  }
  return (
    <NetworkSection title="Overview" id={`${id}-overview`}>
      <dl className="facts">
        {facts.map(([label, value, wide]) => (
          <div key={label} className={wide ? 'facts__row facts__row--wide' : 'facts__row'}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {n.status.reasons.length > 0 && (
        <ul className="status-reasons" aria-label="Status reasons">
          {n.status.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </NetworkSection>
  );
}

function Attachments({ network: n }: { network: Network }) {
  const id = useId();
  return (
    <NetworkSection title={`Attached (${n.attachments.length})`} id={`${id}-attached`}>
      {n.attachments.length === 0 ? (
        <p className="muted">Nothing is attached. VMs and capsules join this network through their network setting.</p>
      ) : (
        <table className="data-table" aria-label="Attached resources">
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Kind</th>
              <th scope="col">Interface</th>
              <th scope="col">MAC</th>
              <th scope="col">Address</th>
              <th scope="col">Name</th>
              <th scope="col">Link</th>
            </tr>
          </thead>
          <tbody>
            {n.attachments.map((a) => (
              <tr key={a.resource} data-resource={a.resource}>
                <th scope="row">
                  <a href={attachmentResourceHref(a)}>{a.resource}</a>
                </th>
                <td>{a.kind === 'tap' ? 'VM (tap)' : 'capsule (veth)'}</td>
                <td>
                  <code>{a.hostIfname}</code>
                  {a.netns && <span className="muted"> → {a.netns}</span>}
                </td>
                <td>
                  <code>{a.mac}</code>
                </td>
                <td>{a.address ? <code>{a.address}</code> : 'DHCP'}</td>
                <td>
                  <code>{a.hostname}</code>
                </td>
                <td>
                  <span className={`link-state link-state--${a.present ? 'up' : 'down'}`}>{a.present ? 'on the bridge' : 'missing'}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </NetworkSection>
  );
}

function Leases({ network: n }: { network: Network }) {
  const { client } = useServices();
  const id = useId();
  const [leases, setLeases] = useState<readonly DhcpLease[] | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);
  const dhcp = n.dhcpRange !== null;

  // A new Network object is a refetch after network.changed: read the leases again.
  useEffect(() => {
    if (!dhcp) return;
    let current = true;
    client.call('network.leases', { network: n.name }).then(
      (r) => current && (setLeases(r.leases), setError(null)),
      (err: unknown) => current && setError(toErrorShape(err)),
    );
    return () => {
      current = false;
    };
  }, [client, n, dhcp]);

  return (
    <NetworkSection title="DHCP leases" id={`${id}-leases`}>
      {!dhcp ? (
        <p className="muted">This network runs no DHCP server{n.profile === 'external' ? '; the LAN’s router hands out addresses' : ''}.</p>
      ) : error ? (
        <ErrorPanel context="Could not read the DHCP leases" error={error} />
      ) : leases === null ? (
        <p className="muted">Reading leases…</p>
      ) : leases.length === 0 ? (
        <p className="muted">No leases yet: no guest has asked for an address.</p>
      ) : (
        <table className="data-table" aria-label="DHCP leases">
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">MAC</th>
              <th scope="col">Host name</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {leases.map((l) => (
              <tr key={`${l.mac}-${l.address}`}>
                <td>
                  <code>{l.address}</code>
                </td>
                <td>
                  <code>{l.mac}</code>
                </td>
                <td>{l.hostname ?? <span className="muted">none</span>}</td>
                <td>{l.expiresAt ? new Date(l.expiresAt).toLocaleString() : 'never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </NetworkSection>
  );
}

function ruleText(rule: EgressRule): string {
  const where = rule.destination ?? 'any destination';
  const ports = rule.ports ? (rule.ports.from === rule.ports.to ? `port ${rule.ports.from}` : `ports ${rule.ports.from}-${rule.ports.to}`) : 'every port';
  const proto = rule.protocol ?? (rule.ports ? 'tcp and udp' : 'any protocol');
  return `${where}, ${ports}, ${proto}`;
}

function Egress({ rules, profile }: { rules: readonly EgressRule[] | null; profile: Network['profile'] }) {
  const id = useId();
  return (
    <NetworkSection title="Egress policy" id={`${id}-egress`}>
      {profile !== 'nat' ? (
        <p className="muted">
          {profile === 'internal' ? 'An internal network has no way out.' : 'An external network is bridged onto the LAN; its egress is the LAN’s business.'}
        </p>
      ) : rules === null ? (
        <p>No allow-list: guests may reach any destination through the host.</p>
      ) : rules.length === 0 ? (
        <p>Allow-list is empty: everything leaving this network is dropped.</p>
      ) : (
        <>
          <p>Only these destinations are reachable; everything else leaving the network is dropped:</p>
          <ul className="egress-rules">
            {rules.map((r) => (
              <li key={ruleText(r)}>
                <code>{ruleText(r)}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </NetworkSection>
  );
}
