// Every host's guests in one table with a Host column: this machine first, then each saved
// host, each asked on its own so a disconnected one shows why in its rows and holds up no
// other. Opening a guest switches the app to its host. Re-read every few seconds, since
// the hosts' events reach only the pages of the host they came from.
import { useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { toErrorShape } from '../../../src-shared/index.js';
import { useServices } from '../app/services.js';
import '../styles/hosts-switch.css';
import { LOCAL_HOST, type NovaClient } from '../transport/nova-client.js';

const REFRESH_MS = 5_000;

export interface GuestRow {
  readonly name: string;
  readonly state: ReactNode;
}

type HostRows = { readonly rows: readonly GuestRow[] } | { readonly error: string };

export interface AllHostsGuestsProps {
  /** What the table is of, for its label: "Virtual machines", "Capsules". */
  readonly label: string;
  /** The row attribute naming the guest (`data-vm`, `data-capsule`), as the one-host table has it. */
  readonly rowAttribute: 'data-vm' | 'data-capsule';
  readonly list: (client: NovaClient) => Promise<GuestRow[]>;
  readonly href: (name: string) => string;
}

export function AllHostsGuests({ label, rowAttribute, list, href }: AllHostsGuestsProps) {
  const { client, hostChoice } = useServices();
  const saved = useStore(hostChoice, (s) => s.saved);
  const [byHost, setByHost] = useState<Readonly<Record<string, HostRows>>>({});
  const hosts = [LOCAL_HOST, ...saved];
  const key = hosts.join(' ');

  useEffect(() => {
    let live = true;
    const read = () => {
      for (const host of key.split(' ')) {
        list(client.withHost(host)).then(
          (rows) => live && setByHost((all) => ({ ...all, [host]: { rows } })),
          (err: unknown) => live && setByHost((all) => ({ ...all, [host]: { error: toErrorShape(err).message } })),
        );
      }
    };
    read();
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, key, list]);

  return (
    <table className="vm-table" aria-label={`${label} on all hosts`}>
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">Name</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {hosts.map((host) => {
          const shown = byHost[host];
          const hostCell = <td className="host-cell" data-column="host">{host === LOCAL_HOST ? 'this machine' : host}</td>;
          if (!shown) {
            return (
              <tr key={host} data-host={host}>
                {hostCell}
                <td colSpan={2}>Asking {host}…</td>
              </tr>
            );
          }
          if ('error' in shown) {
            return (
              <tr key={host} data-host={host} data-host-state="unreachable">
                {hostCell}
                <td colSpan={2} className="host-rows__error">{shown.error}</td>
              </tr>
            );
          }
          if (shown.rows.length === 0) {
            return (
              <tr key={host} data-host={host}>
                {hostCell}
                <td colSpan={2}>None</td>
              </tr>
            );
          }
          return shown.rows.map((row) => (
            <tr key={`${host}/${row.name}`} data-host={host} {...{ [rowAttribute]: row.name }}>
              {hostCell}
              <th scope="row">
                <a className="vm-table__name" href={href(row.name)} onClick={() => hostChoice.getState().choose(host)}>
                  {row.name}
                </a>
              </th>
              <td>{row.state}</td>
            </tr>
          ));
        })}
      </tbody>
    </table>
  );
}

/** The list pages' "All hosts" switch, offered once a host is saved; off on every visit. */
export function useAllHostsToggle(): { on: boolean; toggle: ReactNode } {
  const { hostChoice } = useServices();
  const anySaved = useStore(hostChoice, (s) => s.saved.length > 0);
  const [on, setOn] = useState(false);
  const toggle = anySaved ? (
    <label className="all-hosts-toggle">
      <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} />
      All hosts
    </label>
  ) : null;
  return { on: on && anySaved, toggle };
}
