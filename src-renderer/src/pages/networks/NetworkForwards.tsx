// A NAT network's port forwards: the list, each with its Remove, and the form that adds
// one. The helper checks each forward (free host port, guest on this network) and its
// refusal shows here whole; while an operation holds the network the controls are off.
import { Plus, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import { ForwardSchema, type Network, type Protocol } from '../../../../src-shared/network.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import type { NetworkStoreState } from '../../stores/network-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { FIELD_EFFECT } from '../../lib/network-settings-form.js';
import { EffectNote } from './EffectNote.js';
import { NetworkSection } from './NetworkSection.js';

interface NetworkForwardsProps {
  readonly network: Network;
  readonly actions: Pick<NetworkStoreState, 'addForward' | 'removeForward'>;
  readonly held: ResourceBusy | null;
}

interface ForwardDraft {
  hostPort: string;
  guestAddress: string;
  guestPort: string;
  protocol: Protocol;
}

export function NetworkForwards({ network: n, actions, held }: NetworkForwardsProps) {
  const id = useId();
  const [draft, setDraft] = useState<ForwardDraft>({ hostPort: '', guestAddress: '', guestPort: '', protocol: 'tcp' });
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const [sending, setSending] = useState(false);
  // Off while this form waits for the helper, or while an operation holds the network.
  const busy = sending || held !== null;
  const canForward = n.profile === 'nat' && n.subnet !== null;

  const run = async (action: () => Promise<void>): Promise<boolean> => {
    setSending(true);
    setRefusal(null);
    try {
      await action();
      return true;
    } catch (err) {
      setRefusal(toErrorShape(err));
      return false;
    } finally {
      setSending(false);
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
    <NetworkSection title="Port forwards" id={`${id}-forwards`} method="network.forwardList">
      <ProjectChangeNotice project={n.project} kind="network" name={n.name} noun="network" />
      {canForward && (
        <p className="form-field__hint">
          <EffectNote effect={FIELD_EFFECT.forwards} /> · adding or removing a forward replaces the firewall rules in one step
        </p>
      )}
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
                        data-method="network.forwardRemove"
                        aria-label={`Remove forward of host port ${f.hostPort}/${f.protocol}`}
                        aria-disabled={busy || undefined}
                        title={held?.reason}
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
            <button type="submit" className="button" data-method="network.forwardAdd" aria-disabled={busy || undefined} title={held?.reason}>
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
    </NetworkSection>
  );
}
