// A VM run as the calling user (nobody, through polkit rules) with Looking Glass and a
// USB device: the helper makes the shared-memory file in /dev/shm itself, owned by
// nobody and sized as QEMU maps it, and removes it when the VM stops; the USB device's
// /dev/bus/usb node goes to nobody for the run (one plugged live too) and back to root after. This machine
// has no USB device, so the USB side runs on a fake device host (NOVA_TEST_DEVICE_ROOT):
// the node is the fake tree's, and the fake kernel's log shows each chown. The guest is
// real (TCG), and QEMU maps the real shm file. A planted link in the file's place is
// refused without following it.
import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookingGlassBytes } from '../../src-shared/vm-passthrough.js';
import { lookingGlassShmPath } from '../src/devices/ivshmem-argv.js';
import { TEST_WRITE_LOG } from '../src/devices/test-device-host.js';
import { FakeSysfs } from '../src/devices/testing/fake-sysfs.js';
import { callAsNobody as callAs, effectiveUid } from './fixtures/as-nobody.js';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { killRunLeftovers, startHelperForNobody } from './fixtures/nobody-vm-helper.js';
import { makeTestDir, rawCall, removeTestDir, request, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv6h-nodes';
const VM = 'nv6h-lg';
const RESOLUTION = '1280x720';
const USB_NODE = '/dev/bus/usb/001/003';
const HOTPLUGGED_NODE = '/dev/bus/usb/001/004';
const SHM = lookingGlassShmPath(VM);
let dir = '';
let fs: FakeSysfs | null = null;
let helper: RunningHelper | null = null;
let polkit: PolkitHarness | null = null;
let guest: TestGuest;

const callAsNobody = (method: string, params: unknown) => callAs(helper!.socketPath, method, params);
const writeLog = (): string[] => (existsSync(join(fs!.root, TEST_WRITE_LOG)) ? (JSON.parse(readFileSync(join(fs!.root, TEST_WRITE_LOG), 'utf8')) as string[]) : []);

describe.skipIf(process.getuid?.() !== 0)('device nodes of a VM run as a user', () => {
  beforeAll(async () => {
    if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
    guest = await ensureTestGuest();
    dir = await makeTestDir(PREFIX);
    fs = new FakeSysfs({ prefix: 'nv6h-sysfs-' })
      .usb({ port: '1-2', bus: 1, address: 3, vendor: 0x046d, product: 0xc52b, productString: 'USB Receiver' })
      .usb({ port: '1-3', bus: 1, address: 4, vendor: 0x0951, product: 0x1666, productString: 'DataTraveler' });
    ({ helper, polkit } = await startHelperForNobody(dir, PREFIX, guest, { view: true, env: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root } }));
  }, 600_000);

  afterAll(async () => {
    try {
      if (helper) await rawCall(helper.socketPath, [request(1, 'vm.delete', { name: VM, force: true })]).catch(() => undefined);
      await helper?.stop();
    } finally {
      if (dir) await killRunLeftovers(dir);
      await polkit?.stop();
      if ((await lstat(SHM).catch(() => null)) !== null) unlinkSync(SHM);
      fs?.cleanup();
      if (dir) await removeTestDir(dir);
    }
  });

  it('makes the Looking Glass file for nobody and hands over the USB nodes for the run (at start and on hot-plug), and takes them back at stop', async () => {
    await callAsNobody('vm.create', {
      name: VM, accel: 'tcg', cpus: 1, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline,
      display: 'none', network: 'none', usb: ['usb:046d:c52b'], lookingGlass: { resolution: RESOLUTION },
    });
    // What an earlier, unclean run would have left: made anew, not reused.
    writeFileSync(SHM, 'stale');
    const info = await callAsNobody('vm.start', { name: VM });
    const pid = info.pid as number;
    try {
      expect(await effectiveUid(pid)).toBe(65534);
      await waitForLogText((await callAsNobody('vm.consoleInfo', { name: VM })).serialLog as string, GUEST_READY_MARKER, 60_000);
      const shm = await lstat(SHM);
      expect({ file: shm.isFile(), uid: shm.uid, gid: shm.gid, mode: shm.mode & 0o777, size: shm.size }).toEqual({ file: true, uid: 65534, gid: 65534, mode: 0o660, size: lookingGlassBytes(RESOLUTION) });
      // QEMU maps that very file, as the guest's IVSHMEM memory.
      expect(await readFile(`/proc/${pid}/maps`, 'utf8')).toContain(SHM);
      expect(writeLog()).toEqual([`${USB_NODE} chown 65534:65534`]);
      // Plugged while it runs: that node is handed over before QEMU reaches for it.
      await callAsNobody('vm.usbAttach', { name: VM, device: 'usb:0951:1666' });
      expect(writeLog()).toEqual([`${USB_NODE} chown 65534:65534`, `${HOTPLUGGED_NODE} chown 65534:65534`]);
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true });
    }
    expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
    expect(existsSync(SHM)).toBe(false);
    expect(writeLog()).toEqual([`${USB_NODE} chown 65534:65534`, `${HOTPLUGGED_NODE} chown 65534:65534`, `${USB_NODE} chown 0:0`, `${HOTPLUGGED_NODE} chown 0:0`]);
  });

  it('refuses a link planted where the file goes, following it nowhere, and starts nothing', async () => {
    const target = join(dir, 'planted-target');
    writeFileSync(target, 'keep');
    symlinkSync(target, SHM);
    try {
      const refused = await callAsNobody('vm.start', { name: VM }).then(() => 'started', (err: Error) => err.message);
      expect(refused).toContain(`failed_precondition: ${SHM} exists and is no regular file`);
      expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
      expect(readFileSync(target, 'utf8')).toBe('keep');
      // The USB node was never handed over, or was given back.
      expect(writeLog().filter((l) => l.endsWith('65534:65534')).length).toBe(writeLog().filter((l) => l.endsWith(' 0:0')).length);
    } finally {
      unlinkSync(SHM);
    }
  });
});
