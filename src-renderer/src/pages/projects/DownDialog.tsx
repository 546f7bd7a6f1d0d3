// Down's confirmation: says exactly what goes (networks deleted, guests stopped) and that
// disks, capsule layers and snapshots stay unless "also delete volumes" is ticked, in
// which case the guests go with their data.
import { useState } from 'react';
import type { ProjectResourceRow } from '../../../../src-shared/index.js';
import { ModalDialog } from '../../components/ModalDialog.js';

interface Props {
  readonly open: boolean;
  readonly project: string;
  readonly rows: readonly ProjectResourceRow[];
  readonly onClose: () => void;
  readonly onConfirm: (volumes: boolean) => void;
}

export function DownDialog({ open, project, rows, onClose, onConfirm }: Props) {
  const [volumes, setVolumes] = useState(false);
  const present = rows.filter((r) => r.state !== 'absent');
  const guests = present.filter((r) => r.kind !== 'network').map((r) => `${r.kind} ${r.name}`);
  const networks = present.filter((r) => r.kind === 'network').map((r) => r.name);
  return (
    <ModalDialog open={open} title={`Down: project ${project}`} onClose={onClose}>
      <div className="project-dialog__body">
        {present.length === 0 ? (
          <p>Nothing of this project is on this host.</p>
        ) : (
          <>
            {guests.length > 0 && (
              <p>
                {volumes ? 'Deleted with their disks, writable layers and snapshots' : 'Stopped'}: {guests.join(', ')}.
              </p>
            )}
            {networks.length > 0 && <p>Networks deleted (one still used outside the project is kept): {networks.join(', ')}.</p>}
            {!volumes && <p className="muted">Disks, capsule layers and snapshots are kept, so nova up brings the guests back with their data.</p>}
          </>
        )}
        <label className="project-check">
          <input type="checkbox" checked={volumes} onChange={(e) => setVolumes(e.target.checked)} />
          Also delete volumes (the guests with their disks, layers and snapshots)
        </label>
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose} data-autofocus>
          Keep running
        </button>
        <button type="button" className="button button--danger" onClick={() => onConfirm(volumes)}>
          {volumes ? 'Down and delete volumes' : 'Down'}
        </button>
      </footer>
    </ModalDialog>
  );
}
