// "Move to host…" for a VM or a capsule: where to (the saved hosts, each with how it is
// reached), the address the destination listens on (prefilled as nova vm migrate picks it),
// post-copy for a live move, then the move itself with its step, a bar and the bytes sent,
// Cancel, and how it ended: the time and the pause at the switch (live) or the files copied
// (cold), or the refusal in words (the guest then stays where it was).
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { SavedHost } from '../../../src-shared/api/hosts-api.js';
import type { VmMoveKind, VmMoveProgress } from '../../../src-shared/api/vm-move-api.js';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { TextField } from './TextField.js';
import { OperationBar } from './OperationItem.js';
import { useServices } from '../app/services.js';
import { capsuleHref } from '../lib/capsule-route.js';
import { coldMoveNote, moveDestinations, moveOutcomeWords, moveStepWords, type GuestKind, type GuestMoveReport } from '../lib/vm-move-flow.js';
import { vmHref } from '../lib/vm-route.js';
import '../styles/operations.css';

type Stage = { kind: 'form' } | { kind: 'moving' } | { kind: 'moved'; to: string; report: GuestMoveReport } | { kind: 'failed'; error: ErrorShape };

interface GuestMoveDialogProps {
  readonly guest: GuestKind;
  readonly name: string;
  /** Live for a running VM; cold for a stopped VM and for every capsule. */
  readonly kind: VmMoveKind;
  /** A capsule that runs is stopped here and started there; the dialog says so. */
  readonly running?: boolean;
  readonly open: boolean;
  readonly onClose: () => void;
}

export function GuestMoveDialog({ guest, name, kind, running = false, open, onClose }: GuestMoveDialogProps) {
  const { client, hostChoice } = useServices();
  const from = client.host;
  const links = useStore(hostChoice, (s) => s.links);
  const [saved, setSaved] = useState<readonly SavedHost[] | null>(null);
  const [to, setTo] = useState('');
  const [listen, setListen] = useState('');
  const [postcopy, setPostcopy] = useState(false);
  const [stage, setStage] = useState<Stage>({ kind: 'form' });
  const [progress, setProgress] = useState<VmMoveProgress | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const listenId = useId();
  const postcopyNote = useId();

  useEffect(() => {
    if (!open) return;
    let stale = false;
    setStage({ kind: 'form' });
    setProgress(null);
    client.call('hosts.list', {}).then(
      (r) => !stale && setSaved(r.hosts),
      () => !stale && setSaved([]),
    );
    return () => {
      stale = true;
    };
  }, [client, open]);

  useEffect(() => {
    const mine = (p: VmMoveProgress) => {
      if (p.name === name && p.from === from) setProgress(p);
    };
    return guest === 'vm' ? client.on('vm.moveProgress', mine) : client.on('capsule.moveProgress', mine);
  }, [client, guest, name, from]);

  const destinations = saved ? moveDestinations(from, saved, links) : [];
  const chosen = destinations.find((d) => d.name === to);
  // The first reachable host is the likely one; its listen address comes with it.
  useEffect(() => {
    if (to || destinations.length === 0) return;
    const first = destinations.find((d) => d.reachable) ?? destinations[0]!;
    setTo(first.name);
    setListen(first.listen);
  }, [destinations, to]);

  const choose = (host: string) => {
    setTo(host);
    setListen(destinations.find((d) => d.name === host)?.listen ?? '');
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return;
    setStage({ kind: 'moving' });
    setProgress(null);
    setCancelling(false);
    const given = listen.trim() ? { listen: listen.trim() } : {};
    try {
      const report = guest === 'vm' ? await client.call('vm.move', { name, from, to, kind, postcopy: kind === 'live' && postcopy, ...given }) : await client.call('capsule.move', { name, from, to, ...given });
      setStage({ kind: 'moved', to, report });
    } catch (err) {
      setStage({ kind: 'failed', error: toErrorShape(err) });
    }
  };

  const moveMethod = guest === 'vm' ? 'vm.move' : 'capsule.move';
  const cancelMethod = guest === 'vm' ? 'vm.moveCancel' : 'capsule.moveCancel';
  const cancel = async () => {
    setCancelling(true);
    await client.call(cancelMethod, { name, from }).catch(() => undefined);
  };

  const showThere = (host: string) => {
    onClose();
    hostChoice.getState().choose(host);
    window.location.hash = guest === 'vm' ? vmHref({ kind: 'vm', name, tab: 'overview' }) : capsuleHref({ kind: 'capsule', name, tab: 'logs' });
  };

  const moving = stage.kind === 'moving';
  return (
    <ModalDialog open={open} title={`Move ${name} to another host`} onClose={() => !moving && onClose()} className="vm-move-dialog">
      {stage.kind === 'form' && (
        <form aria-label={`Move ${name}`} data-method={moveMethod} noValidate onSubmit={(e) => void submit(e)}>
          <div className="modal__body vm-move">
            {saved === null && <p className="muted">Reading the saved hosts…</p>}
            {saved !== null && destinations.length === 0 && (
              <p role="note">
                There is no other host to move it to. Add one on the <a href="#/hosts">Hosts</a> page.
              </p>
            )}
            {destinations.length > 0 && (
              <fieldset className="vm-move__hosts">
                <legend>Destination</legend>
                {destinations.map((d) => (
                  <label key={d.name} className={`vm-move__host${d.reachable ? '' : ' vm-move__host--down'}`}>
                    <input type="radio" name="destination" value={d.name} checked={to === d.name} onChange={() => choose(d.name)} data-autofocus={to === d.name ? true : undefined} />
                    <span>{d.label}</span>
                  </label>
                ))}
              </fieldset>
            )}
            {chosen && (
              <>
                <TextField
                  id={listenId}
                  label="Address the destination listens on"
                  value={listen}
                  onChange={setListen}
                  required={chosen.name === 'local'}
                  placeholder="an address the source reaches it by"
                  hint={`${chosen.name === 'local' ? "This machine's address as the source host reaches it." : 'The host of its ssh address, unless the source reaches it by another.'} ${kind === 'live' ? 'The disks and memory travel' : 'Its files travel'} there over TLS.`}
                />
                {kind === 'live' ? (
                  <>
                    <label className="vm-move__postcopy">
                      <input type="checkbox" checked={postcopy} onChange={(e) => setPostcopy(e.target.checked)} aria-describedby={postcopyNote} />
                      Post-copy
                    </label>
                    <p id={postcopyNote} className="muted">
                      For a guest that writes memory faster than the link carries it: it runs on the destination before all its memory is there.
                    </p>
                  </>
                ) : (
                  <p className="muted" role="note">
                    {coldMoveNote(guest, name, running)}
                  </p>
                )}
              </>
            )}
          </div>
          <footer className="modal__footer">
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <button type="submit" className="button button--primary" data-method={moveMethod} disabled={!chosen || (chosen.name === 'local' && !listen.trim())}>
              Move
            </button>
          </footer>
        </form>
      )}
      {moving && (
        <>
        <div className="modal__body vm-move" data-move-step={progress?.step ?? 'checking'}>
          <p role="status">{moveStepWords(progress, kind, guest)}</p>
          {progress?.operation ? (
            <OperationBar op={progress.operation} />
          ) : (
            <div className="op-bar op-bar--indeterminate" role="progressbar" aria-label={`Progress of the move of ${name}`}>
              <div className="op-bar__fill" />
            </div>
          )}
        </div>
          <footer className="modal__footer">
            <button type="button" className="button" data-method={cancelMethod} onClick={() => void cancel()} disabled={cancelling}>
              {cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          </footer>
        </>
      )}
      {stage.kind === 'moved' && (
        <>
        <div className="modal__body vm-move" data-move-outcome="moved">
          <p role="status">{moveOutcomeWords(name, stage.to, stage.report)}</p>
        </div>
          <footer className="modal__footer">
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <button type="button" className="button button--primary" onClick={() => showThere(stage.to)}>
              Show it on {stage.to === 'local' ? 'this machine' : stage.to}
            </button>
          </footer>
        </>
      )}
      {stage.kind === 'failed' && (
        <>
        <div className="modal__body vm-move" data-move-outcome={stage.error.code === 'cancelled' ? 'cancelled' : 'failed'}>
          <p role="alert" className="vm-move__error">
            {stage.error.code === 'cancelled' ? stage.error.message : `Not moved: ${stage.error.message}`}
          </p>
        </div>
          <footer className="modal__footer">
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <button type="button" className="button" onClick={() => setStage({ kind: 'form' })}>
              Back
            </button>
          </footer>
        </>
      )}
    </ModalDialog>
  );
}
