// Hardware after create, against real QEMU under TCG and a guest that has the disk, SATA
// and CD drivers: a disk and a CD drive added to a stopped VM are seen by the guest, CPUs
// and memory changed while it runs wait for the next start (shown as pending) and are
// seen after it, a disk grows live, CD media go out and in live (QMP query-block and the
// guest's own reading of the drive), and bad input is refused with what to do instead.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_PROMPT } from './fixtures/guest-builder.js';
import { GuestSerial, guestUntil as untilAt, waitForShell } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { ensureInitrdWithModules } from './fixtures/disk-guest.js';
import { vmSpec, vmUpdate } from './fixtures/contract-params.js';

/** What the guest needs to see SATA CDs and read them (in load order), beyond virtio_blk. */
const CD_MODULES = [
  'drivers/block/virtio_blk.ko',
  'drivers/scsi/scsi_common.ko',
  'drivers/scsi/scsi_mod.ko',
  'drivers/cdrom/cdrom.ko',
  'drivers/scsi/sr_mod.ko',
  'drivers/ata/libata.ko',
  'drivers/ata/libahci.ko',
  'drivers/ata/ahci.ko',
  'fs/isofs/isofs.ko',
];

const name = 'nv11h-hw';
let run: VmTestRun;
let vms: VmManager;
let initrd: string;
let isoA: string;
let isoB: string;

async function makeIso(dir: string, label: string, text: string): Promise<string> {
  const tree = join(dir, `${label}-tree`);
  await mkdir(tree, { recursive: true });
  await writeFile(join(tree, 'hello.txt'), text);
  const iso = join(dir, `${label}.iso`);
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', label, '-o', iso, tree], { timeout: 30_000 });
  return iso;
}

/** The guest's shell, kernel messages kept off it, with `m` reading the disc in sr0 (commands stay short: the terminal wraps at 80 columns). */
async function serialOf(): Promise<GuestSerial> {
  const serial = await GuestSerial.connect((await vms.consoleInfo(name)).serialSocket);
  await waitForShell(serial, GUEST_PROMPT, 90_000);
  await serial.run('dmesg -n 1; mkdir -p /mnt', GUEST_PROMPT);
  await serial.run('m(){ mount -rt iso9660 /dev/sr0 /mnt&&cat /mnt/h*;umount /mnt;}', GUEST_PROMPT);
  return serial;
}

interface BlockInfo {
  qdev?: string;
  inserted?: { 'node-name'?: string; file?: string };
}
async function cdInserted(drive: string): Promise<BlockInfo['inserted'] | null> {
  const blocks = await vms.qmpOf(name).execute<BlockInfo[]>('query-block');
  const block = blocks.find((b) => b.qdev === `${drive}-dev` || b.qdev?.endsWith(`/${drive}-dev`));
  if (!block) throw new Error(`QEMU has no ${drive}-dev`);
  return block.inserted ?? null;
}

/** Polls a guest command until its output satisfies `ok` (bounded). */
const guestUntil = (serial: GuestSerial, command: string, ok: (out: string) => boolean, timeoutMs = 20_000) => untilAt(serial, command, GUEST_PROMPT, ok, timeoutMs);

beforeAll(async () => {
  run = await startVmTestRun('nv11h');
  initrd = await ensureInitrdWithModules(run.guest, 'hw-v1', CD_MODULES);
  vms = await run.manager({ allowedRoots: [run.dir, dirname(run.guest.vmlinux), dirname(initrd)] });
  isoA = await makeIso(run.dir, 'NV11HA', 'from disc A\n');
  isoB = await makeIso(run.dir, 'NV11HB', 'from disc B\n');
  await vms.create(vmSpec({ name, cpus: 1, memory: '256Mi', diskSize: '64Mi', kernel: run.guest.vmlinux, initrd, cmdline: run.guest.cmdline, display: 'none' }));
}, 600_000);

afterAll(async () => {
  await run?.cleanup();
});

describe('a stopped VM', () => {
  it('takes a new disk, a second CD drive with media, more CPUs and memory, all seen by the guest at its start', async () => {
    const info = await vms.update(
      vmUpdate({
        name,
        cpus: 2,
        memory: '320Mi',
        devices: [
          { op: 'disk.add', size: '32Mi' },
          { op: 'cd.insert', drive: 'cd1', path: isoA },
        ],
      }),
    );
    expect(info.definition.disks.map((d) => [d.id, d.bus ?? 'virtio'])).toEqual([
      ['disk0', 'virtio'],
      ['disk1', 'virtio'],
    ]);
    expect(info.definition.cdroms).toEqual([{ id: 'cd1', path: isoA }]);
    await vms.start(name);
    const serial = await serialOf();
    try {
      const blocks = await guestUntil(serial, 'ls /sys/block', (out) => /\bsr0\b/.test(out));
      expect(blocks.split(/\s+/)).toEqual(expect.arrayContaining(['vda', 'vdb', 'sr0']));
      expect(await serial.run('cat /sys/block/vdb/size', GUEST_PROMPT)).toBe(String(32 * 2048));
      expect(await serial.run('nproc', GUEST_PROMPT)).toBe('2');
      const memKib = Number(/MemTotal:\s+(\d+)/.exec(await serial.run('grep MemTotal /proc/meminfo', GUEST_PROMPT))?.[1]);
      expect(memKib).toBeGreaterThan(256 * 1024);
      expect(memKib).toBeLessThanOrEqual(320 * 1024);
      expect(await serial.run('m', GUEST_PROMPT)).toBe('from disc A');
    } finally {
      serial.close();
    }
  }, 240_000);
});

describe('the running VM', () => {
  it('grows a disk live: the guest sees the new size', async () => {
    await vms.update(vmUpdate({ name, devices: [{ op: 'disk.resize', id: 'disk1', size: '48Mi' }] }));
    const serial = await serialOf();
    try {
      await guestUntil(serial, 'cat /sys/block/vdb/size', (out) => out === String(48 * 2048));
    } finally {
      serial.close();
    }
    expect((await vms.get(name)).pendingChanges).toEqual([]);
  }, 60_000);

  it('ejects and inserts CD media live, as QMP and the guest see them', async () => {
    expect((await cdInserted('cd1'))?.file).toMatch(/^\/dev\/fdset\/\d+$/);
    await vms.update(vmUpdate({ name, devices: [{ op: 'cd.eject', drive: 'cd1' }] }));
    expect(await cdInserted('cd1')).toBeNull();
    const serial = await serialOf();
    try {
      await guestUntil(serial, 'dd if=/dev/sr0 of=/dev/null count=1 2>&1', (out) => /No medium/i.test(out));
      await vms.update(vmUpdate({ name, devices: [{ op: 'cd.insert', drive: 'cd1', path: isoB }] }));
      // QEMU got the helper's descriptor through an fd set, never the path.
      expect((await cdInserted('cd1'))?.file).toMatch(/^\/dev\/fdset\/\d+$/);
      await guestUntil(serial, 'm 2>/dev/null', (out) => out === 'from disc B');
    } finally {
      serial.close();
    }
    expect((await vms.get(name)).definition.cdroms).toEqual([{ id: 'cd1', path: isoB }]);
  }, 90_000);

  it('keeps CPU and memory changes for the next start, and says so', async () => {
    const info = await vms.update(vmUpdate({ name, cpus: 1, memory: '288Mi' }));
    expect(info.pendingChanges).toEqual(['CPUs 2 -> 1', 'memory 320 MiB -> 288 MiB']);
    const serial = await serialOf();
    try {
      expect(await serial.run('nproc', GUEST_PROMPT)).toBe('2');
    } finally {
      serial.close();
    }
  }, 60_000);

  it('refuses, each clearly: shrinking a disk, removing the boot disk, a CD that does not exist', async () => {
    await expect(vms.update(vmUpdate({ name, devices: [{ op: 'disk.resize', id: 'disk1', size: '16Mi' }] }))).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'disk1 of VM nv11h-hw is 48 MiB; shrinking it to 16 MiB would cut off what the guest wrote there: disks only grow',
    });
    await expect(vms.update(vmUpdate({ name, devices: [{ op: 'disk.remove', id: 'disk0' }] }))).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/running from disk0, its boot disk: stop it before removing that disk/),
    });
    const missing = join(run.dir, 'no-such.iso');
    await expect(vms.update(vmUpdate({ name, devices: [{ op: 'cd.insert', drive: 'cd1', path: missing }] }))).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining(`the ISO ${missing} for cd1 of VM nv11h-hw does not exist; ISOs are taken from ${run.dir}`),
    });
    // Nothing of the refused changes was kept.
    const def = (await vms.get(name)).definition;
    expect(def.disks.map((d) => d.id)).toEqual(['disk0', 'disk1']);
    expect(def.cdroms).toEqual([{ id: 'cd1', path: isoB }]);
  }, 60_000);

  it('applies the pending changes at the next start', async () => {
    await vms.stop(name, { force: true });
    await vms.start(name);
    const serial = await serialOf();
    try {
      expect(await serial.run('nproc', GUEST_PROMPT)).toBe('1');
      expect(await serial.run('cat /sys/block/vdb/size', GUEST_PROMPT)).toBe(String(48 * 2048));
    } finally {
      serial.close();
    }
    expect((await vms.get(name)).pendingChanges).toEqual([]);
  }, 120_000);

  it('detaches a disk keeping its file, and deletes one Nova made', async () => {
    await vms.stop(name, { force: true });
    const disk1 = (await vms.get(name)).definition.disks[1]!.path;
    await vms.update(vmUpdate({ name, devices: [{ op: 'disk.remove', id: 'disk1', keepFile: true }] }));
    await expect(execa('test', ['-f', disk1])).resolves.toBeTruthy();
    await vms.update(vmUpdate({ name, devices: [{ op: 'disk.add', size: '16Mi', bus: 'sata', cache: 'none' }] }));
    const added = (await vms.get(name)).definition.disks[1]!;
    expect(added).toMatchObject({ id: 'disk1', bus: 'sata', cache: 'none', owned: true });
    await vms.update(vmUpdate({ name, devices: [{ op: 'disk.remove', id: 'disk1' }] }));
    await expect(execa('test', ['-e', added.path])).rejects.toBeTruthy();
    await expect(execa('test', ['-f', disk1])).resolves.toBeTruthy();
  }, 60_000);
});
