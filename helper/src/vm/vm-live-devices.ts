// Device changes a running QEMU takes through QMP: CD media in and out of a drive (the
// tray opened, the medium swapped, the tray closed, as a person at the machine would),
// a disk grown (block_resize), the NIC's link. A new medium reaches QEMU as the
// descriptor the helper opened and checked (QMP add-fd), never as a path QEMU would open.
import type { QmpClient } from './qmp-client.js';

interface QmpBlockInfo {
  device: string;
  qdev?: string;
  tray_open?: boolean;
  inserted?: { 'node-name'?: string; file?: string; image?: { 'virtual-size'?: number } };
}

/** The node a drive's medium is, null when the drive is empty, undefined when this QEMU has no such drive. */
async function mediumOf(qmp: QmpClient, drive: string): Promise<string | null | undefined> {
  const blocks = await qmp.execute<QmpBlockInfo[]>('query-block');
  const block = blocks.find((b) => b.qdev === `${drive}-dev` || b.qdev?.endsWith(`/${drive}-dev`));
  if (!block) return undefined;
  return block.inserted?.['node-name'] ?? null;
}

/** Takes the medium out of a drive and frees its nodes; an empty drive stays as it is. False: this QEMU has no such drive. */
export async function ejectMedium(qmp: QmpClient, drive: string): Promise<boolean> {
  const node = await mediumOf(qmp, drive);
  if (!node) return node === null;
  const id = `${drive}-dev`;
  // force: a guest that locked the tray (a mounted CD) cannot keep the disc in.
  await qmp.execute('blockdev-open-tray', { id, force: true });
  await qmp.execute('blockdev-remove-medium', { id });
  await qmp.execute('blockdev-close-tray', { id });
  await qmp.execute('blockdev-del', { 'node-name': node });
  // A medium from the command line has its file node apart (qemu-device-argv.ts); one inserted live has it inline.
  await qmp.execute('blockdev-del', { 'node-name': `${node}-file` }).catch(() => undefined);
  return true;
}

/** Puts the file open at `descriptor` into a drive as a read-only raw medium, replacing what was there. False: this QEMU has no such drive. */
export async function insertMedium(qmp: QmpClient, drive: string, descriptor: number): Promise<boolean> {
  if ((await mediumOf(qmp, drive)) === undefined) return false;
  const added = await qmp.executeWithDescriptor<{ 'fdset-id': number; fd: number }>('add-fd', { opaque: `${drive}-medium` }, descriptor);
  const fdset = added['fdset-id'];
  const node = `${drive}-m${Date.now().toString(36)}`;
  try {
    await qmp.execute('blockdev-add', { driver: 'raw', 'node-name': node, 'read-only': true, file: { driver: 'file', filename: `/dev/fdset/${fdset}`, 'read-only': true } });
  } finally {
    // QEMU holds its own duplicate once the node is open; the set itself is not needed any more.
    await qmp.execute('remove-fd', { 'fdset-id': fdset }).catch(() => undefined);
  }
  try {
    await ejectMedium(qmp, drive);
    const id = `${drive}-dev`;
    await qmp.execute('blockdev-open-tray', { id, force: true });
    await qmp.execute('blockdev-insert-medium', { id, 'node-name': node });
    await qmp.execute('blockdev-close-tray', { id });
  } catch (err) {
    await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => undefined);
    throw err;
  }
  return true;
}

/** Grows a disk while the guest runs; the guest sees the new size (virtio-blk announces it, SCSI and SATA on a rescan). */
export async function resizeLive(qmp: QmpClient, diskId: string, bytes: number): Promise<void> {
  await qmp.execute('block_resize', { 'node-name': diskId, size: bytes });
}

/** The cable of NIC netN in or out; the guest sees its carrier change, the other NICs do not. */
export async function setNicLink(qmp: QmpClient, index: number, up: boolean): Promise<void> {
  await qmp.execute('set_link', { name: `net${index}-dev`, up });
}
