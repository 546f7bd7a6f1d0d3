// Down's confirmation, through the shared ConfirmDialog: says in words what goes (guests
// stopped, networks deleted) and what stays (disks, capsule layers, snapshots), and with
// "also delete volumes" ticked, which guests go with their disks, layers and snapshots.
// The choice lives in a small box the body and the confirming button both watch.
import { useCallback, useSyncExternalStore } from 'react';
import type { ProjectResourceRow } from '../../../../src-shared/index.js';
import type { ProjectDownOutcome } from '../../../../src-shared/api/project-api.js';
import { useConfirm } from '../../components/ConfirmDialog.js';

interface Choice {
  get: () => boolean;
  set: (value: boolean) => void;
  subscribe: (listener: () => void) => () => void;
}

function choice(): Choice {
  let value = false;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set: (next) => {
      value = next;
      for (const l of listeners) l();
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

function useChoice(box: Choice): boolean {
  return useSyncExternalStore(box.subscribe, box.get);
}

const list = (items: readonly string[]): string => items.join(', ');

function DownWords({ rows, box }: { rows: readonly ProjectResourceRow[]; box: Choice }) {
  const volumes = useChoice(box);
  const present = rows.filter((r) => r.state !== 'absent');
  const guests = present.filter((r) => r.kind !== 'network').map((r) => `${r.kind} ${r.name}`);
  const networks = present.filter((r) => r.kind === 'network').map((r) => r.name);
  return (
    <div className="project-dialog__body">
      {present.length === 0 ? (
        <p>Nothing of this project is on this host.</p>
      ) : (
        <>
          {guests.length > 0 && (
            <p>
              {volumes ? 'Deleted with their disks, writable layers and snapshots' : 'Stopped'}: {list(guests)}.
            </p>
          )}
          {networks.length > 0 && <p>Networks deleted (one still used outside the project is kept): {list(networks)}.</p>}
          {volumes ? (
            guests.length > 0 && <p className="text-fail">Their data cannot be brought back: nova up would create them empty.</p>
          ) : (
            <p className="muted">Disks, capsule layers and snapshots are kept, so nova up brings the guests back with their data.</p>
          )}
        </>
      )}
      <label className="project-check">
        <input type="checkbox" checked={volumes} onChange={(e) => box.set(e.target.checked)} />
        Also delete volumes (the guests with their disks, layers and snapshots)
      </label>
    </div>
  );
}

function DownLabel({ box }: { box: Choice }) {
  return <>{useChoice(box) ? 'Down and delete volumes' : 'Down'}</>;
}

/** The toast's words for a finished down. */
export function downResultText(project: string, o: ProjectDownOutcome): { text: string; detail: string } {
  if (o.cancelled) return { text: `Down of ${project} cancelled`, detail: 'What was already stopped or deleted stays so.' };
  const parts = [`${o.stopped.length} stopped`, `${o.removed.length} deleted`, `${o.kept.length} kept`];
  if (o.failed.length > 0) parts.push(`${o.failed.length} failed`);
  return { text: `Project ${project} is down`, detail: `${parts.join(', ')}.` };
}

/** `askDown(project, rows)`: null when the person kept it running, else whether volumes go too. */
export function useDownConfirm(): { askDown: (project: string, rows: readonly ProjectResourceRow[]) => Promise<{ volumes: boolean } | null>; dialog: ReturnType<typeof useConfirm>['dialog'] } {
  const { confirm, dialog } = useConfirm();
  const askDown = useCallback(
    async (project: string, rows: readonly ProjectResourceRow[]) => {
      const box = choice();
      const yes = await confirm({
        title: `Down: project ${project}`,
        body: <DownWords rows={rows} box={box} />,
        confirmLabel: <DownLabel box={box} />,
        cancelLabel: 'Keep running',
        confirmMethod: 'project.down',
      });
      return yes ? { volumes: box.get() } : null;
    },
    [confirm],
  );
  return { askDown, dialog };
}
