// What a VM's QEMU opens on the host besides its disks and VFIO groups: the USB nodes
// (/dev/bus/usb/BBB/DDD) its usb-host devices reach through libusb, and the Looking Glass
// shared-memory file. Run as a user, QEMU could open neither safely by itself: the USB
// nodes are root's, and a name in the world-writable /dev/shm could be a file or link
// another user planted. So before QEMU starts the helper makes the shm file itself
// (O_EXCL, no symlink followed, the size QEMU maps, owned by QEMU's user) and hands the
// USB nodes to that user, recording each node's owner; when QEMU is gone the nodes go
// back to those owners and the file is removed. The record survives a helper restart.
import { constants } from 'node:fs';
import { lstat, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { UsbDevice } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { lookingGlassBytes, usbTargetOf } from '../../../src-shared/vm-passthrough.js';
import { type RecordFormat, RecordStore } from '../state/record-store.js';
import type { Logger } from '../util/logger.js';
import { errnoOf, type HostIO } from './host-io.js';
import { lookingGlassShmPath } from './ivshmem-argv.js';
import { usbNodePath } from './usb-reader.js';

const HandoverSchema = z.strictObject({
  vm: z.string(),
  uid: z.number().int(),
  usbNodes: z.array(z.strictObject({ path: z.string(), uid: z.number().int(), gid: z.number().int() })),
});
type Handover = z.infer<typeof HandoverSchema>;

const HANDOVER_RECORD: RecordFormat<Handover> = { what: 'device node handover', version: 1, schema: HandoverSchema };

export interface VmNodeHandoverDeps {
  io: HostIO;
  stateDir: string;
  /** The host's USB devices now (the inventory, read afresh). */
  usbDevices: () => Promise<UsbDevice[]>;
  logger: Logger;
  /** Where the shm file lives; the real /dev/shm, since QEMU maps it (a test may point elsewhere). */
  shmPath?: (vm: string) => string;
}

type User = { uid: number; gid: number };

export class VmNodeHandover {
  private readonly store: RecordStore<Handover>;
  private readonly shmPath: (vm: string) => string;

  constructor(private readonly deps: VmNodeHandoverDeps) {
    this.store = new RecordStore(HANDOVER_RECORD, join(deps.stateDir, 'devices', 'node-handover'));
    this.shmPath = deps.shmPath ?? lookingGlassShmPath;
  }

  /** Before QEMU starts: the shm file made, the USB nodes handed to `user` (root's QEMU needs neither handed). All or nothing. */
  async handOver(def: VmDefinition, user: User | null): Promise<void> {
    const owner = user ?? { uid: 0, gid: 0 };
    // A run that ended while no helper watched (a crash of both) left its record: those
    // nodes go back first, so the owners recorded below are the real ones, never the VM's.
    await this.takeBack(def.name);
    try {
      // A microvm gets no IVSHMEM device (qemu-argv.ts), so no file either.
      if (def.lookingGlass && def.machine !== 'microvm') await this.makeShmFile(def.name, lookingGlassBytes(def.lookingGlass.resolution), owner);
      if (user) await this.handUsbNodes(def.name, def.usb ?? [], user);
    } catch (err) {
      await this.takeBack(def.name).catch((e: unknown) => this.deps.logger.error({ vm: def.name, err: e }, 'taking back device nodes failed'));
      throw err;
    }
  }

  /** QEMU is gone: the USB nodes back to their owners (if still the VM user's), the shm file removed. */
  async takeBack(vm: string): Promise<void> {
    const record = await this.store.load(vm);
    const failures: string[] = [];
    for (const node of record?.usbNodes ?? []) {
      const now = await this.deps.io.owner(node.path);
      // Unplugged since (gone), or given to someone else meanwhile: not ours to change.
      if (now === null || now.uid !== record!.uid) continue;
      await this.deps.io.chown(node.path, node.uid, node.gid).catch((err: unknown) => failures.push(`${node.path}: ${errnoOf(err) ?? (err as Error).message}`));
    }
    await this.removeShmFile(vm);
    if (failures.length > 0) throw new NovaError('internal', `Giving USB device nodes of VM ${vm} back to their owners failed: ${failures.join('; ')}`);
    if (record) await this.store.remove(vm);
  }

  /** A device hot-plugged into a running user's QEMU: its node too, given back with the others when QEMU is gone. */
  async handOverHotplugged(vm: string, selector: string, user: User): Promise<void> {
    await this.handUsbNodes(vm, [selector], user);
  }

  /** The same, for the QEMU of `pid`, whose user is the owner of its /proc entry; nothing for root's. */
  async handOverToQemu(vm: string, selector: string, pid: number | null): Promise<void> {
    if (pid === null || usbTargetOf(selector).kind === 'emulated') return;
    const owner = await stat(`/proc/${pid}`).catch(() => null);
    if (owner && owner.uid !== 0) await this.handOverHotplugged(vm, selector, { uid: owner.uid, gid: owner.gid });
  }

  private async handUsbNodes(vm: string, selectors: readonly string[], user: User): Promise<void> {
    if (selectors.length === 0) return;
    const host = await this.deps.usbDevices();
    const paths = new Set<string>();
    for (const selector of selectors) {
      const target = usbTargetOf(selector);
      const matches = target.kind === 'product'
        ? host.filter((d) => d.vendorId === target.vendorId && d.productId === target.productId)
        : target.kind === 'port' ? host.filter((d) => d.port === `${target.bus}-${target.port}`) : [];
      // A device not plugged in now has no node: QEMU waits for it, as it does run as root.
      for (const d of matches) paths.add(usbNodePath(d.bus, d.address));
    }
    if (paths.size === 0) return;
    const record: Handover = (await this.store.load(vm)) ?? { vm, uid: user.uid, usbNodes: [] };
    for (const path of paths) {
      const was = await this.deps.io.owner(path);
      if (was === null || record.usbNodes.some((n) => n.path === path)) continue;
      if (was.uid === user.uid) continue;
      // Recorded before the change, so a crash in between still knows the owner to restore.
      record.usbNodes.push({ path, ...was });
      await this.store.save(vm, record);
      await this.deps.io.chown(path, user.uid, user.gid).catch((err: unknown) => {
        throw new NovaError('internal', `Giving ${path} to uid ${user.uid} failed: ${errnoOf(err) ?? (err as Error).message}`);
      });
    }
  }

  private async makeShmFile(vm: string, bytes: number, owner: User): Promise<void> {
    const path = this.shmPath(vm);
    const found = await lstat(path).catch(() => null);
    if (found) {
      if (!found.isFile()) throw new NovaError('failed_precondition', `${path} exists and is no regular file (a link or something else): Looking Glass's memory for VM ${vm} is not made there; remove it`);
      if (found.uid !== 0 && found.uid !== owner.uid) throw new NovaError('failed_precondition', `${path} belongs to uid ${found.uid}, not to the user VM ${vm} runs as: remove it, then start the VM again`);
      // Left by an unclean stop of this VM: made anew, so no old frames or size carry over.
      await unlink(path);
    }
    const file = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((err: unknown) => {
      throw new NovaError('failed_precondition', `Cannot make ${path} for Looking Glass: ${errnoOf(err) ?? (err as Error).message}`);
    });
    try {
      await file.truncate(bytes);
      await file.chown(owner.uid, owner.gid);
      // The Looking Glass client runs as the same user, or in its group.
      await file.chmod(0o660);
    } catch (err) {
      await file.close();
      await unlink(path).catch(() => undefined);
      throw err;
    }
    await file.close();
  }

  private async removeShmFile(vm: string): Promise<void> {
    const path = this.shmPath(vm);
    const found = await lstat(path).catch(() => null);
    if (found?.isFile()) await unlink(path);
  }
}
