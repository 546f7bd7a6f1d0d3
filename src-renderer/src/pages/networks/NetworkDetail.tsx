// One network's page: its bridge and settings, why it is degraded or down, an overlay's
// peers (edited here for WireGuard, whose public key is copied from here), what is
// attached, the DHCP leases dnsmasq handed out, its port forwards (added and removed
// here) and its egress policy. Deleting asks once more, inline, before it goes.
import { ArrowLeft, LoaderCircle, Plus, Trash2 } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import { ForwardSchema, type DhcpLease, type EgressRule, type Network, type Protocol } from '../../../../src-shared/network.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { attachmentResourceHref, networksListHref } from '../../lib/network-route.js';
import type { NetworkStoreState } from '../../stores/network-store.js';
import { CopyButton } from './CopyButton.js';
import { NetworkPeers } from './NetworkPeers.js';
import { NetworkStatusLine } from './NetworkStateBadge.js';

interface NetworkDetailProps {
  readonly network: Network;
  readonly actions: Pick<NetworkStoreState, 'remove' | 'addForward' | 'removeForward'>;
}

export function NetworkDetail({ network: n, actions }: NetworkDetailProps) {
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<ErrorShape | null>(null);

  const remove = async (): Promise<void> => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await actions.remove(n.name);
      window.location.hash = networksListHref();
    } catch (err) {
      setDeleteError(toErrorShape(err));
      setDeleting(false);
      setConfirming(false);
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
            {confirming ? (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                <span className="confirm__text">Delete {n.name} and detach {n.attachments.length} guest(s)?</span>
                <button type="button" className="button button--danger" onClick={() => void remove()} aria-disabled={deleting || undefined}>
                  {deleting && <LoaderCircle aria-hidden="true" size={14} className="spin" />}
                  {deleting ? 'Deleting…' : 'Delete'}
                </button>
                <button type="button" className="button" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className="button" onClick={() => setConfirming(true)}>
                <Trash2 aria-hidden="true" size={14} />
                Delete network
              </button>
            )}
          </>
        }
      />
      <div className="page-body">
        <ResourceOperations resource={{ kind: 'network', name: n.name }} label={`Operations on ${n.name}`} />
        {deleteError && <ErrorPanel context={`Could not delete ${n.name}`} error={deleteError} />}
        <Overview network={n} />
        {n.type === 'overlay' && <NetworkPeers network={n} />}
        <Attachments network={n} />
        <Leases network={n} />
        <Forwards network={n} actions={actions} />
        <Egress rules={n.egressAllow} profile={n.profile} />
      </div>
    </>
  );
}

function Section({ title, children, id }: { title: string; children: ReactNode; id: string }) {
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id} className="panel__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Overview({ network: n }: { network: Network }) {
  const id = useId();
  // A third element widens the row: a 44-character key reads badly when wrapped.
  const facts: Array<[string, ReactNode, 'wide'?]> = [
    ['State', <NetworkStatusLine key="s" status={n.status} />],
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
    <Section title="Overview" id={`${id}-overview`}>
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
    </Section>
  );
}

function Attachments({ network: n }: { network: Network }) {
  const id = useId();
  return (
    <Section title={`Attached (${n.attachments.length})`} id={`${id}-attached`}>
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
    </Section>
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
    <Section title="DHCP leases" id={`${id}-leases`}>
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
    </Section>
  );
}

interface ForwardDraft {
  hostPort: string;
  guestAddress: string;
  guestPort: string;
  protocol: Protocol;
}

function Forwards({ network: n, actions }: { network: Network; actions: NetworkDetailProps['actions'] }) {
  const id = useId();
  const [draft, setDraft] = useState<ForwardDraft>({ hostPort: '', guestAddress: '', guestPort: '', protocol: 'tcp' });
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const canForward = n.profile === 'nat' && n.subnet !== null;

  const run = async (action: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setRefusal(null);
    try {
      await action();
      return true;
    } catch (err) {
      setRefusal(toErrorShape(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const parsed = ForwardSchema.safeParse({
      hostPort: Number(draft.hostPort),
      guestAddress: draft.guestAddress.trim(),
      guestPort: Number(draft.guestPort),
      protocol: draft.protocol,
    });
    if (!parsed.success || draft.guestAddress.trim() === '') {
      setProblem('Write a host port and a guest port (1-65535) and the guest’s address on this network.');
      return;
    }
    setProblem(null);
    if (await run(() => actions.addForward(n.name, parsed.data))) setDraft({ hostPort: '', guestAddress: '', guestPort: '', protocol: draft.protocol });
  };

  return (
    <Section title="Port forwards" id={`${id}-forwards`}>
      {!canForward ? (
        <p className="muted">Port forwards need a NAT network with a subnet.</p>
      ) : (
        <>
          {n.forwards.length === 0 ? (
            <p className="muted">No ports are forwarded to guests on this network.</p>
          ) : (
            <table className="data-table" aria-label="Port forwards">
              <thead>
                <tr>
                  <th scope="col">Host port</th>
                  <th scope="col">Guest</th>
                  <th scope="col">Protocol</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {n.forwards.map((f) => (
                  <tr key={`${f.hostPort}/${f.protocol}`} data-forward={`${f.hostPort}/${f.protocol}`}>
                    <td>
                      <code>{f.hostPort}</code>
                    </td>
                    <td>
                      <code>
                        {f.guestAddress}:{f.guestPort}
                      </code>
                    </td>
                    <td>{f.protocol}</td>
                    <td className="data-table__actions">
                      <button
                        type="button"
                        className="button button--small"
                        aria-label={`Remove forward of host port ${f.hostPort}/${f.protocol}`}
                        aria-disabled={busy || undefined}
                        onClick={() => void (busy || run(() => actions.removeForward(n.name, f.hostPort, f.protocol)))}
                      >
                        <Trash2 aria-hidden="true" size={13} />
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form className="forward-form" onSubmit={(e) => void add(e)} aria-label="Add a port forward" noValidate>
            <label>
              Host port
              <input value={draft.hostPort} inputMode="numeric" onChange={(e) => setDraft({ ...draft, hostPort: e.target.value })} placeholder="8080" />
            </label>
            <label>
              Guest address
              <input value={draft.guestAddress} onChange={(e) => setDraft({ ...draft, guestAddress: e.target.value })} placeholder={n.dhcpRange?.start ?? '192.168.220.10'} spellCheck={false} />
            </label>
            <label>
              Guest port
              <input value={draft.guestPort} inputMode="numeric" onChange={(e) => setDraft({ ...draft, guestPort: e.target.value })} placeholder="80" />
            </label>
            <label>
              Protocol
              <select value={draft.protocol} onChange={(e) => setDraft({ ...draft, protocol: e.target.value === 'udp' ? 'udp' : 'tcp' })}>
                <option value="tcp">tcp</option>
                <option value="udp">udp</option>
              </select>
            </label>
            <button type="submit" className="button" aria-disabled={busy || undefined}>
              <Plus aria-hidden="true" size={14} />
              Add forward
            </button>
          </form>
          {problem && (
            <p className="form-field__error" role="alert">
              {problem}
            </p>
          )}
          {refusal && <ErrorPanel context="The helper refused the port forward" error={refusal} />}
        </>
      )}
    </Section>
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
    <Section title="Egress policy" id={`${id}-egress`}>
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
    </Section>
  );
}
