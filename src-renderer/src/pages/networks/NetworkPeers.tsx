// An overlay's peers on its network page: the other hosts (by public key and endpoint
// for WireGuard), and for a WireGuard overlay an editor that replaces them through
// network.setPeers, checking each line as you type and showing a refusal in words; off
// while an operation holds the network.
import { LoaderCircle, Pencil } from 'lucide-react';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { Network } from '../../../../src-shared/network.js';
import { formatPeer } from '../../../../src-shared/vocabulary/index.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { parsePeers } from '../../lib/network-form.js';
import { FIELD_EFFECT } from '../../lib/network-settings-form.js';
import { EffectNote } from './EffectNote.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';

export function NetworkPeers({ network: n, held }: { readonly network: Network; readonly held: ResourceBusy | null }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const wireguard = n.wireguard !== undefined;
  return (
    <section className="panel" aria-labelledby={`${id}-peers`}>
      <div className="panel__head">
        <h2 id={`${id}-peers`} className="panel__title">
          Peers ({n.peers.length})
        </h2>
        {wireguard && <EffectNote effect={FIELD_EFFECT.peers} />}
        {wireguard && !editing && (
          <button type="button" className="button button--small" data-method="network.setPeers" onClick={() => !held && setEditing(true)} aria-disabled={held ? true : undefined} title={held?.reason}>
            <Pencil aria-hidden="true" size={13} />
            Edit peers
          </button>
        )}
      </div>
      {n.peers.length === 0 ? (
        <p className="muted">
          No peers: this overlay reaches no other host yet.
          {wireguard && ' Add each other host by its public key and address once it has created its side.'}
        </p>
      ) : (
        <table className="data-table" aria-label="Peers">
          <thead>
            <tr>
              {wireguard && <th scope="col">Public key</th>}
              <th scope="col">Endpoint</th>
            </tr>
          </thead>
          <tbody>
            {n.peers.map((p) => (
              <tr key={formatPeer(p)} data-peer={p.host}>
                {wireguard && (
                  <td>
                    <code>{p.publicKey ?? '?'}</code>
                  </td>
                )}
                <td>
                  <code>{formatPeer({ host: p.host, port: p.port })}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!wireguard && <p className="form-field__hint">A VXLAN overlay’s peers are set when it is created; delete it and create it again to change them.</p>}
      {wireguard && editing && <PeersEditor network={n} onDone={() => setEditing(false)} />}
    </section>
  );
}

function PeersEditor({ network: n, onDone }: { readonly network: Network; readonly onDone: () => void }) {
  const { client } = useServices();
  const id = useId();
  const [text, setText] = useState(() => n.peers.map(formatPeer).join('\n'));
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const parsed = useMemo(() => parsePeers(text, 'wireguard', n.wireguard?.publicKey), [text, n.wireguard?.publicKey]);
  const error = dirty && typeof parsed === 'string' ? parsed : null;

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setDirty(true);
    if (busy || typeof parsed === 'string') return;
    setBusy(true);
    setRefusal(null);
    try {
      // network.changed then refreshes the page with what the helper kept.
      await client.call('network.setPeers', { name: n.name, peers: parsed });
      onDone();
    } catch (err) {
      setRefusal(toErrorShape(err));
      setBusy(false);
    }
  };

  return (
    <form className="peers-form" onSubmit={(e) => void save(e)} aria-label="Edit peers" noValidate aria-busy={busy}>
      <div className="form-field" data-field="peers">
        <label htmlFor={`${id}-text`} className="form-field__label">
          Peers, one per line
        </label>
        <textarea
          id={`${id}-text`}
          className="form-field__input form-field__input--multiline"
          rows={Math.max(3, n.peers.length + 1)}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setDirty(true);
          }}
          placeholder={'KEY@192.0.2.10\nKEY@192.0.2.11:51820'}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${error ? `${id}-error ` : ''}${id}-hint`}
          autoComplete="off"
          spellCheck={false}
        />
        {error && (
          <p id={`${id}-error`} className="form-field__error">
            {error}
          </p>
        )}
        <p id={`${id}-hint`} className="form-field__hint">
          Each other host as KEY@address, with :port if its listen port is not 51820; the key is the one its network page shows. Saving replaces the whole list.
        </p>
      </div>
      {refusal && <ErrorPanel context="The helper refused the peers" error={refusal} />}
      <div className="peers-form__actions">
        <button type="submit" className="button button--primary" data-method="network.setPeers" aria-disabled={busy || undefined}>
          {busy && <LoaderCircle aria-hidden="true" size={14} className="spin" />}
          {busy ? 'Saving…' : 'Save peers'}
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
