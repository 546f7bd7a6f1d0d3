// The Hosts page: this machine first, then the saved remote hosts of `nova host ls`.
// Every host is asked on its own call, all at once, and its row fills in as it answers:
// a host that does not answer shows why when its bound runs out and holds up no other.
import { LoaderCircle, Plus, Trash2 } from 'lucide-react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { HostStatusView, SavedHost } from '../../../../src-shared/api/hosts-api.js';
import { LOCAL_HOST } from '../../../../src-shared/vocabulary/index.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { errorWords } from '../../lib/error-words.js';
import { announce, announceFailure } from '../../stores/toast-store.js';
import { AddHostDialog } from './AddHostDialog.js';
import { HostStatusCells, statusSentence } from './HostStatusCells.js';

const LOCAL_ROW: SavedHost = { name: LOCAL_HOST, url: 'this machine' };

export function HostsPage() {
  const { client, hostChoice } = useServices();
  const { confirm, dialog } = useConfirm();
  const [hosts, setHosts] = useState<SavedHost[] | null>(null);
  const [statuses, setStatuses] = useState<Readonly<Record<string, HostStatusView>>>({});
  const [listError, setListError] = useState<ErrorShape | null>(null);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  // A reload while probes are out makes their late answers stale: each answer checks its round.
  const round = useRef(0);

  const probe = useCallback(
    (name: string, mine: number): void => {
      client.call('hosts.probe', { name }).then(
        (s) => round.current === mine && setStatuses((all) => ({ ...all, [name]: s })),
        (err: unknown) => round.current === mine && setStatuses((all) => ({ ...all, [name]: unreachable(toErrorShape(err)) })),
      );
    },
    [client],
  );

  const load = useCallback(async (): Promise<void> => {
    const mine = ++round.current;
    setStatuses({});
    setListError(null);
    probe(LOCAL_HOST, mine);
    try {
      const saved = (await client.call('hosts.list', {})).hosts;
      if (round.current !== mine) return;
      setHosts(saved);
      for (const h of saved) probe(h.name, mine);
    } catch (err) {
      setListError(toErrorShape(err));
      setHosts([]);
    }
  }, [client, probe]);

  useEffect(() => {
    void load();
  }, [load]);

  const remove = async (h: SavedHost): Promise<void> => {
    const yes = await confirm({
      title: `Remove host ${h.name}?`,
      body: <p>{`Nova forgets ${h.url} under the name ${h.name}; --host ${h.name} stops working. Nothing changes on the host itself.`}</p>,
      confirmLabel: 'Remove',
      confirmMethod: 'hosts.remove',
    });
    if (!yes) return;
    setRemoving(h.name);
    try {
      await client.call('hosts.remove', { name: h.name });
      announce(`Removed host '${h.name}'`);
      // The switcher lists saved hosts: it hears of this one now, not at its next re-list.
      void hostChoice.getState().refresh(true);
      setHosts((all) => all?.filter((x) => x.name !== h.name) ?? null);
    } catch (err) {
      announceFailure(`Could not remove host '${h.name}'`, errorWords(toErrorShape(err)).sentence);
    } finally {
      setRemoving(null);
    }
  };

  const rows = hosts ? [LOCAL_ROW, ...hosts] : [LOCAL_ROW];
  return (
    <>
      <PageHeader
        title="Hosts"
        subtitle="This machine and the remote hosts you reach with --host, each asked over ssh."
        actions={
          <button type="button" className="button button--primary" data-method="hosts.add" onClick={() => setAdding(true)}>
            <Plus aria-hidden="true" size={14} />
            Add host
          </button>
        }
      />
      <div className="page-body" aria-busy={hosts === null}>
        {listError && <ErrorPanel context="Could not read the saved hosts" error={listError} onRetry={() => void load()} />}
        <table className="data-table" aria-label="Hosts" data-method="hosts.list hosts.probe">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">State</th>
              <th scope="col">Nova</th>
              <th scope="col">Accelerator</th>
              <th scope="col" className="data-table__num">
                Guests
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((h) => (
              <tr key={h.name} data-host={h.name} aria-label={`${h.name}: ${statusSentence(statuses[h.name])}`}>
                <th scope="row">{h.name}</th>
                <td>{h.url}</td>
                <HostStatusCells status={statuses[h.name]} />
                <td>
                  {h.name !== LOCAL_HOST && (
                    <button type="button" className="button" data-method="hosts.remove" aria-label={`Remove host ${h.name}`} aria-disabled={removing === h.name || undefined} onClick={() => void remove(h)}>
                      {removing === h.name ? <LoaderCircle aria-hidden="true" size={14} className="spin" /> : <Trash2 aria-hidden="true" size={14} />}
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {hosts?.length === 0 && !listError && <p className="form-field__hint">No remote hosts saved yet. Add one to reach its Nova with --host or from here.</p>}
      </div>
      <AddHostDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(host, status) => {
          void hostChoice.getState().refresh(true);
          setAdding(false);
          announce(`Added host '${host.name}'`, status.reachable ? `Nova ${status.version ?? '?'} answers there (${status.accelerator ?? 'no accelerator'})` : `Saved, but it does not answer: ${status.error ?? 'no answer'}`);
          setHosts((all) => [...(all ?? []).filter((x) => x.name !== host.name), host].sort((a, b) => a.name.localeCompare(b.name)));
          setStatuses((all) => ({ ...all, [host.name]: status }));
        }}
      />
      {dialog}
    </>
  );
}

function unreachable(error: ErrorShape): HostStatusView {
  return { reachable: false, version: null, accelerator: null, vms: null, capsules: null, error: errorWords(error).sentence };
}
