// What the snapshot scheduler and the pruner need of a guest's snapshots, over the two
// engines (vm-snapshots.ts through VmManager, capsule-snapshots.ts through CapsuleManager),
// so both run the same code for VMs and capsules and a unit test can stand in for them.
import { isNovaError } from '../../../src-shared/errors.js';
import type { SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import type { Requester } from '../operations/operation-manager.js';
import type { VmManager } from '../vm/vm-manager.js';
import type { SnapshotFacts } from './retention.js';
import type { GuestKind } from './snapshot-policy-store.js';

export interface GuestSnapshots {
  /** False once the guest is deleted. */
  exists(kind: GuestKind, name: string): Promise<boolean>;
  list(kind: GuestKind, name: string): Promise<SnapshotFacts[]>;
  create(kind: GuestKind, name: string, snapshot: string, taking: SnapshotTaking): Promise<void>;
  remove(kind: GuestKind, name: string, snapshot: string, requester: Requester | null): Promise<void>;
}

const missing = (err: unknown) => (isNovaError(err) && err.code === 'not_found' ? false : Promise.reject(err));

export function engineGuestSnapshots(vms: VmManager, capsules: CapsuleManager): GuestSnapshots {
  return {
    exists: (kind, name) => (kind === 'vm' ? vms.get(name) : capsules.get(name)).then(() => true, missing),
    async list(kind, name) {
      if (kind === 'vm') {
        const tree = await vms.snapshotList(name);
        return tree.snapshots.map((s) => ({ name: s.name, createdAt: new Date(s.createdAt), scheduled: s.scheduled === true, keepForever: s.keepForever === true, parent: s.parent }));
      }
      return (await capsules.snapshotList(name)).map((s) => ({ name: s.name, createdAt: new Date(s.createdAt), scheduled: s.scheduled === true, keepForever: s.keepForever === true, parent: null }));
    },
    async create(kind, name, snapshot, taking) {
      if (kind === 'vm') await vms.snapshotCreate(name, snapshot, 'taken by the snapshot schedule', null, taking);
      else await capsules.snapshotCreate(name, snapshot, null, taking);
    },
    async remove(kind, name, snapshot, requester) {
      if (kind === 'vm') await vms.snapshotDelete(name, snapshot, requester);
      else await capsules.snapshotDelete(name, snapshot, requester);
    },
  };
}
