// The snapshots of one capsule's writable layer (btrfs snapshots, or archives): create (a
// running capsule is frozen meanwhile), restore (stopped capsules only, as the helper
// requires) and delete, the last two asked first with what is lost; each says when done and
// a failure stays until dismissed. Each runs as an operation the page shows in place; while anything
// holds the capsule the buttons are off and say what holds it (no double submit). Below,
// the schedule and retention rules with "Prune now" (components/SnapshotSchedule.tsx).
import { Camera, History, Trash2 } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { CapsuleSnapshotNameSchema, type Capsule, type CapsuleSnapshot } from '../../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { SnapshotSchedule } from '../../components/SnapshotSchedule.js';
import { announce } from '../../stores/toast-store.js';
import { formatBytes } from '../../lib/vm-format.js';
import { defaultSnapshotName } from '../../lib/format-time.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { FormField } from '../vms/FormField.js';
import { useCapsuleStore } from './capsule-context.js';

export function CapsuleSnapshots({ capsule, busy }: { capsule: Capsule; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useCapsuleStore();
  const { confirm, dialog } = useConfirm();
  const name = capsule.name;
  const off = busy ? true : undefined;
  const [snapshots, setSnapshots] = useState<readonly CapsuleSnapshot[] | null>(null);
  const [loadError, setLoadError] = useState<ErrorShape | null>(null);
  const [snapName, setSnapName] = useState(() => defaultSnapshotName());
  const stopped = capsule.state === 'stopped' || capsule.state === 'created';
  const nameCheck = CapsuleSnapshotNameSchema.safeParse(snapName);
  const nameError = !nameCheck.success ? nameCheck.error.issues[0]?.message : snapshots?.some((s) => s.name === snapName) ? 'a snapshot of that name exists' : undefined;

  const reload = useCallback(async () => {
    try {
      setSnapshots((await client.call('capsule.snapshotList', { name })).snapshots);
      setLoadError(null);
    } catch (err) {
      setLoadError(toErrorShape(err));
    }
  }, [client, name]);

  // Read again as each operation on the capsule starts and ends: a snapshot taken elsewhere shows too.
  const holder = busy?.operationId ?? null;
  useEffect(() => {
    void reload();
  }, [reload, holder]);

  const run = async (label: string, op: () => Promise<unknown>): Promise<boolean> => {
    const ok = await store.getState().run(name, label, op);
    await reload();
    return ok;
  };

  const restore = async (s: CapsuleSnapshot) => {
    const yes = await confirm({
      title: `Restore '${s.name}'?`,
      body: <p>{`${name}'s writable layer goes back to how it was at ${new Date(s.createdAt).toLocaleString()}: every file it changed since then is lost. Volumes on the host are not touched.`}</p>,
      confirmLabel: `Restore ${s.name}`,
    });
    if (yes && (await run('Restoring…', () => client.call('capsule.snapshotRestore', { name, snapshot: s.name })))) announce(`Restored '${s.name}'`, `${name} starts from it next time.`);
  };

  const remove = async (s: CapsuleSnapshot) => {
    const yes = await confirm({
      title: `Delete snapshot '${s.name}'?`,
      body: <p>{`The state of ${name}'s writable layer at ${new Date(s.createdAt).toLocaleString()} is lost for good; the capsule itself is not changed.`}</p>,
      confirmLabel: `Delete ${s.name}`,
    });
    if (yes && (await run('Deleting snapshot…', () => client.call('capsule.snapshotDelete', { name, snapshot: s.name })))) announce(`Deleted snapshot '${s.name}'`);
  };

  return (
    <div className="snapshots" data-method="capsule.snapshotList">
      {loadError && <ErrorPanel context="Could not list the snapshots" error={loadError} onRetry={() => void reload()} />}
      <form
        className="snapshots__create"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (nameError || busy) return;
          const taking = snapName;
          void run('Snapshotting…', () => client.call('capsule.snapshotCreate', { name, snapshot: taking })).then((ok) => {
            if (!ok) return;
            announce(`Took snapshot '${taking}' of '${name}'`);
            setSnapName(defaultSnapshotName());
          });
        }}
      >
        <FormField label="Snapshot name" error={nameError} hint={stopped ? 'Saves the writable layer: a btrfs snapshot where it is a subvolume, an archive otherwise.' : 'The capsule is frozen while its layer is saved.'}>
          {(p) => <input {...p} className="vm-input" value={snapName} spellCheck={false} onChange={(e) => setSnapName(e.target.value)} />}
        </FormField>
        <button type="submit" className="button button--primary" data-method="capsule.snapshotCreate" aria-disabled={off ?? (Boolean(nameError) || undefined)} title={busy?.reason}>
          <Camera aria-hidden="true" size={14} />
          Take snapshot
        </button>
      </form>
      {snapshots && snapshots.length === 0 && <p className="muted">No snapshots yet.</p>}
      {snapshots && snapshots.length > 0 && (
        <table className="vm-table" aria-label={`Snapshots of ${name}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Taken</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {snapshots.map((s) => (
              <tr key={s.name} data-snapshot={s.name}>
                <th scope="row">{s.name}</th>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>
                  {s.sizeBytes === null ? (
                    <span title="A btrfs snapshot shares its blocks with the capsule's layer: the space it alone holds is not known (btrfs tells it only with quotas on)">shared</span>
                  ) : (
                    formatBytes(s.sizeBytes)
                  )}{' '}
                  · {s.kind === 'btrfs' ? 'btrfs snapshot' : 'archive'}
                </td>
                <td>
                  <div className="vm-actions">
                    <button
                      type="button"
                      className="button vm-btn-sm"
                      data-method="capsule.snapshotRestore"
                      aria-disabled={off ?? (!stopped || undefined)}
                      title={busy?.reason ?? (stopped ? undefined : 'Stop the capsule to restore a snapshot')}
                      onClick={() => stopped && !busy && void restore(s)}
                    >
                      <History aria-hidden="true" size={13} />
                      Restore
                    </button>
                    <button type="button" className="button vm-btn-sm" data-method="capsule.snapshotDelete" aria-disabled={off} title={busy?.reason} aria-label={`Delete snapshot ${s.name}`} onClick={() => !busy && void remove(s)}>
                      <Trash2 aria-hidden="true" size={13} />
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!stopped && snapshots && snapshots.length > 0 && <p className="muted">Restoring needs the capsule stopped.</p>}
      <SnapshotSchedule kind="capsule" name={name} busy={busy} run={run} />
      {dialog}
    </div>
  );
}
