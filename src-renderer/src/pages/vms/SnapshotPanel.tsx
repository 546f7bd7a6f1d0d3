// The snapshot tree of one VM: create (with RAM while running unless "include memory" is
// unticked, disks only while stopped), restore and delete. Each runs as an operation whose progress the page shows
// in place; while anything holds the VM the buttons are off and say what holds it, so a
// second click cannot submit twice; failures say why. Restore and delete ask first, saying
// what will be lost, and each finished one says so (stores/toast-store.ts). Below the tree,
// the schedule and retention rules with "Prune now" (components/SnapshotSchedule.tsx).
import { Camera, History, Trash2 } from 'lucide-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { SnapshotNameSchema, type Snapshot, type SnapshotTree, type VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { SnapshotSchedule } from '../../components/SnapshotSchedule.js';
import { announce } from '../../stores/toast-store.js';
import { restoreLossSentence } from '../../lib/confirm-words.js';
import { formatBytes } from '../../lib/vm-format.js';
import { defaultSnapshotName } from '../../lib/format-time.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

interface Node {
  snap: Snapshot;
  children: Node[];
}

function buildTree(snaps: readonly Snapshot[]): Node[] {
  const nodes = new Map(snaps.map((s) => [s.name, { snap: s, children: [] as Node[] }]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = node.snap.parent ? nodes.get(node.snap.parent) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

export function SnapshotPanel({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const name = vm.definition.name;
  const off = busy ? true : undefined;
  const [tree, setTree] = useState<SnapshotTree | null>(null);
  const [loadError, setLoadError] = useState<ErrorShape | null>(null);
  const [snapName, setSnapName] = useState(() => defaultSnapshotName());
  const [description, setDescription] = useState('');
  const { confirm, dialog } = useConfirm();

  const reload = useCallback(async () => {
    try {
      setTree(await client.call('vm.snapshotList', { name }));
      setLoadError(null);
    } catch (err) {
      setLoadError(toErrorShape(err));
    }
  }, [client, name]);

  // Read again as each operation on the VM starts and ends: a snapshot taken elsewhere shows too.
  const holder = busy?.operationId ?? null;
  useEffect(() => {
    void reload();
  }, [reload, holder]);

  const nameCheck = SnapshotNameSchema.safeParse(snapName);
  const taken = tree?.snapshots.some((s) => s.name === snapName) ? 'a snapshot with this name exists already' : undefined;
  const nameError = nameCheck.success ? taken : nameCheck.error.issues[0]?.message;
  const running = vm.state === 'running' || vm.state === 'paused';
  const [includeMemory, setIncludeMemory] = useState(true);
  const withMemory = running && includeMemory;
  // QEMU keeps internal snapshots inside qcow2 images; without one there is nowhere to put them.
  const noQcow2 = !vm.definition.disks.some((d) => d.format === 'qcow2' && !d.readOnly);
  const roots = useMemo(() => buildTree(tree?.snapshots ?? []), [tree]);

  const run = async (label: string, op: () => Promise<unknown>) => {
    const ok = await store.getState().run(name, label, op);
    await reload();
    return ok;
  };

  const create = async () => {
    if (busy || nameError || noQcow2) return;
    const ok = await run(withMemory ? 'Saving a snapshot with RAM…' : 'Saving a disk snapshot…', () =>
      client.call('vm.snapshotCreate', { name, snapshot: snapName, description, withMemory }),
    );
    if (ok) {
      announce(`Took snapshot '${snapName}'`, withMemory ? 'With its RAM: restoring it resumes the VM exactly there.' : running ? 'Of its disks, as they were at that moment; restoring it needs the VM stopped.' : 'Of its disks.');
      setSnapName(defaultSnapshotName());
      setDescription('');
    }
  };

  const restore = async (s: Snapshot) => {
    if (busy) return;
    const yes = await confirm({
      title: `Restore '${s.name}'?`,
      body: <p>{restoreLossSentence(s, running)}</p>,
      confirmLabel: `Restore ${s.name}`,
    });
    if (yes && (await run(`Restoring ${s.name}…`, () => client.call('vm.snapshotRestore', { name, snapshot: s.name })))) {
      announce(`Restored '${s.name}'`, s.withMemory ? 'The VM is back where it was when the snapshot was taken.' : 'The disks are as they were; the VM is stopped.');
    }
  };

  const remove = async (s: Snapshot) => {
    if (busy) return;
    const yes = await confirm({
      title: `Delete snapshot '${s.name}'?`,
      body: <p>{`The snapshot${s.withMemory ? ' and its saved RAM' : ''} will be gone for good; ${name} itself stays as it is now.`}</p>,
      confirmLabel: `Delete ${s.name}`,
    });
    if (yes && (await run(`Deleting ${s.name}…`, () => client.call('vm.snapshotDelete', { name, snapshot: s.name })))) announce(`Deleted snapshot '${s.name}'`);
  };

  const renderNode = (node: Node) => {
    const s = node.snap;
    const current = tree?.current === s.name;
    return (
      <li key={s.name} className="snap" data-snapshot={s.name} role="treeitem" aria-expanded={node.children.length > 0 ? true : undefined} aria-selected={current}>
        <div className={`snap__row${current ? ' snap__row--current' : ''}`}>
          <Camera aria-hidden="true" size={14} className="snap__icon" />
          <span className="snap__name">{s.name}</span>
          {current && <span className="vm-tag vm-tag--accent">you are here</span>}
          <span className="vm-tag">{s.withMemory ? `with RAM · ${formatBytes(s.vmStateSize)}` : 'disks only'}</span>
          <time className="snap__time" dateTime={s.createdAt}>
            {new Date(s.createdAt).toLocaleString()}
          </time>
          {s.description && <span className="snap__desc">{s.description}</span>}
          <span className="snap__actions">
            <button type="button" className="button vm-btn-sm" aria-disabled={off} title={busy?.reason} aria-label={`Restore ${s.name}`} data-method="vm.snapshotRestore" onClick={() => void restore(s)}>
              <History aria-hidden="true" size={13} />
              Restore
            </button>
            <button type="button" className="button vm-btn-sm" aria-disabled={off} title={busy?.reason} aria-label={`Delete ${s.name}`} data-method="vm.snapshotDelete" onClick={() => void remove(s)}>
              <Trash2 aria-hidden="true" size={13} />
              Delete
            </button>
          </span>
        </div>
        {node.children.length > 0 && <ul role="group">{node.children.map(renderNode)}</ul>}
      </li>
    );
  };

  return (
    <div className="snapshots" data-method="vm.snapshotList">
      <form
        className="vm-card snapshots__create"
        aria-label="Take a snapshot"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <h2 className="vm-card__title">Take a snapshot</h2>
        <p className="muted">
          {noQcow2
            ? 'Snapshots are kept inside a qcow2 disk, and this VM has none: create it with a disk to take snapshots.'
            : withMemory
              ? 'The VM runs: the snapshot keeps its RAM and devices too, and restoring it resumes exactly there.'
              : running
                ? 'The VM runs: the snapshot keeps its disks as they are at that moment (as after a power cut); restoring it needs the VM stopped.'
                : 'The VM is stopped: the snapshot keeps its disks.'}
        </p>
        <label className="form-check snapshots__memory">
          <input
            type="checkbox"
            checked={withMemory}
            disabled={!running}
            aria-describedby={running ? undefined : 'snap-memory-why'}
            onChange={(e) => setIncludeMemory(e.target.checked)}
          />
          Include memory (RAM and device state)
        </label>
        {!running && (
          <p id="snap-memory-why" className="form-field__hint">
            Off: the VM is stopped, so there is no memory to keep.
          </p>
        )}
        <div className="vm-form-grid">
          <FormField label="Snapshot name" error={nameError}>
            {(p) => <input {...p} className="vm-input" value={snapName} onChange={(e) => setSnapName(e.target.value)} spellCheck={false} />}
          </FormField>
          <FormField label="Snapshot description">
            {(p) => <input {...p} className="vm-input" value={description} onChange={(e) => setDescription(e.target.value)} placeholder="optional" />}
          </FormField>
        </div>
        <div className="vm-wizard__actions">
          <button type="submit" className="button button--primary" data-method="vm.snapshotCreate" aria-disabled={off ?? (Boolean(nameError) || noQcow2 || undefined)} title={busy?.reason}>
            <Camera aria-hidden="true" size={14} />
            Take snapshot
          </button>
        </div>
      </form>
      {loadError && <ErrorPanel context="Could not read the snapshots" error={loadError} onRetry={() => void reload()} />}
      <section className="vm-card" aria-labelledby="snap-tree">
        <h2 id="snap-tree" className="vm-card__title">Snapshot tree</h2>
        {tree && tree.snapshots.length === 0 && <p className="muted">No snapshots yet.</p>}
        {roots.length > 0 && (
          <ul className="snap-tree" role="tree" aria-label={`Snapshots of ${name}`}>
            {roots.map(renderNode)}
          </ul>
        )}
      </section>
      <SnapshotSchedule kind="vm" name={name} busy={busy} run={run} />
      {dialog}
    </div>
  );
}
