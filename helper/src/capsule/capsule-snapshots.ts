// Snapshots of a capsule's writable layer. A layer that is a btrfs subvolume is snapshotted
// as one (SNAPSHOTS/NAME, read-only); any other is archived with tar (SNAPSHOTS/NAME.tar).
// Either way SNAPSHOTS/NAME.json describes it. Each runs inside an operation the capsule
// manager opened: a cancelled archive leaves no partial file, a failed restore the old layer.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapsuleSnapshot } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import { setMarks, type SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { RecordStore } from '../state/record-store.js';
import { isSubvolume, removeTree, snapshotSubvolume } from './btrfs-layer.js';
import type { CapsuleLayers } from './capsule-layer.js';
import { safeName, type CapsuleLayout } from './capsule-layout.js';
import { SNAPSHOT_RECORD, type CapsuleRecord } from './capsule-record.js';
import * as rt from './runtime-argv.js';

const ARCHIVE_TIMEOUT_MS = 30 * 60_000;

function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export interface CapsuleSnapshotsOptions {
  layout: CapsuleLayout;
  layers: CapsuleLayers;
  runner: Pick<ProcessRunner, 'run'>;
}

/** How a running capsule is held still while its layer is copied. */
export interface Freezer {
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

export class CapsuleSnapshots {
  constructor(private readonly o: CapsuleSnapshotsOptions) {}

  private store(name: string): RecordStore<CapsuleSnapshot> {
    return new RecordStore(SNAPSHOT_RECORD, this.o.layout.paths(name).snapshots);
  }

  private where(name: string, snapshot: string) {
    const dir = this.o.layout.paths(name).snapshots;
    const file = safeName(snapshot, 'snapshot');
    return { archive: join(dir, `${file}.tar`), subvolume: join(dir, file) };
  }

  async list(name: string): Promise<CapsuleSnapshot[]> {
    // A snapshot being written has no record yet; a damaged record hides only itself.
    const { records } = await this.store(name).loadAll();
    return [...records.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** `freezer` is set for a running capsule: it is frozen meanwhile, so the copy is consistent. */
  async create(name: string, rec: CapsuleRecord, snapshot: string, freezer: Freezer | null, op: OperationHandle, taking: SnapshotTaking = {}): Promise<CapsuleSnapshot> {
    const { archive, subvolume: snapshotPath } = this.where(name, snapshot);
    if ((await pathExists(archive)) || (await pathExists(snapshotPath))) {
      throw new NovaError('already_exists', `Capsule "${name}" already has a snapshot "${snapshot}"`);
    }
    const layerSubvolume = this.o.layers.subvolumePath(name, rec);
    const onBtrfs = await isSubvolume(layerSubvolume);
    const tmp = `${archive}.tmp`;
    op.onUndo(() => rm(tmp, { force: true }));
    if (freezer) {
      op.progress({ phase: 'freezing the capsule', cancellable: false });
      await freezer.freeze();
    }
    try {
      if (onBtrfs) {
        op.progress({ phase: 'snapshotting the btrfs layer', cancellable: false });
        await snapshotSubvolume(this.o.runner, layerSubvolume, snapshotPath, true);
      } else {
        op.progress({ phase: 'archiving the writable layer' });
        const argv = rt.tarCreateArgv(tmp, this.o.layers.archivedPath(name, rec));
        await this.o.runner.run({ argv, timeoutMs: ARCHIVE_TIMEOUT_MS, signal: op.signal, what: `archiving the layer of capsule ${name}` });
        await rename(tmp, archive);
        op.onUndo(() => rm(archive, { force: true }));
      }
    } finally {
      if (freezer) await freezer.thaw();
    }
    op.throwIfCancelled();
    // A btrfs snapshot shares its blocks with the layer; what it alone holds is known only
    // with quotas enabled (and costly even then), so its size is reported as unknown.
    const createdAt = (taking.at ?? new Date()).toISOString();
    const meta: CapsuleSnapshot = onBtrfs
      ? { name: snapshot, createdAt, sizeBytes: null, kind: 'btrfs', ...setMarks(taking) }
      : { name: snapshot, createdAt, sizeBytes: (await stat(archive)).size, kind: 'archive', ...setMarks(taking) };
    await this.store(name).save(snapshot, meta);
    return meta;
  }

  /** The capsule is stopped (the caller checked): its layer is replaced by the snapshot's. */
  async restore(name: string, rec: CapsuleRecord, snapshot: string, op: OperationHandle): Promise<void> {
    const p = this.o.layout.paths(name);
    const { archive, subvolume: snapshotPath } = this.where(name, snapshot);
    const fromBtrfs = await isSubvolume(snapshotPath);
    if (!fromBtrfs && !(await pathExists(archive))) throw new NovaError('not_found', `Capsule "${name}" has no snapshot "${snapshot}"`);
    await this.o.layers.unmount(name, rec);
    const layer = fromBtrfs ? this.o.layers.subvolumePath(name, rec) : this.o.layers.archivedPath(name, rec);
    // Made beside the layer, then swapped in: a failure or a cancel leaves the current layer intact.
    const fresh = `${layer}.restoring`;
    const old = `${layer}.old`;
    await removeTree(this.o.runner, fresh, [fresh]);
    await removeTree(this.o.runner, old, [old]);
    op.onUndo(() => removeTree(this.o.runner, fresh, [fresh]));
    if (fromBtrfs) {
      op.progress({ phase: 'snapshotting the btrfs snapshot back', cancellable: false });
      await snapshotSubvolume(this.o.runner, snapshotPath, fresh, false);
    } else {
      op.progress({ phase: 'unpacking the archive' });
      await mkdir(fresh, { mode: 0o755 });
      await this.o.runner.run({ argv: rt.tarExtractArgv(archive, fresh), timeoutMs: ARCHIVE_TIMEOUT_MS, signal: op.signal, what: `unpacking snapshot ${snapshot}` });
    }
    op.throwIfCancelled();
    op.progress({ phase: 'swapping the layer in', cancellable: false });
    await rename(layer, old);
    await rename(fresh, layer);
    await removeTree(this.o.runner, old, [old]);
    if (rec.rootfsMode === 'overlay') {
      // The snapshot of a running capsule holds overlayfs's work dir as it was then.
      const work = fromBtrfs ? join(layer, 'work') : p.work;
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { mode: 0o700 });
    }
  }

  async delete(name: string, snapshot: string): Promise<void> {
    const { archive, subvolume: snapshotPath } = this.where(name, snapshot);
    const fromBtrfs = await pathExists(snapshotPath);
    if (!fromBtrfs && !(await pathExists(archive))) throw new NovaError('not_found', `Capsule "${name}" has no snapshot "${snapshot}"`);
    await this.store(name).remove(snapshot);
    if (fromBtrfs) await removeTree(this.o.runner, snapshotPath, [snapshotPath]);
    else await rm(archive, { force: true });
  }
}
