// USB hot-plug against real QEMU under TCG, through the path vm.usbAttach/usbDetach take
// (VmUsbDevices on the VM manager's monitor): an emulated USB tablet plugged into a
// running guest is seen by the guest's kernel (its USB bus and its input devices, read
// on the serial console), stays in the definition across a restart, and is gone from the
// guest once detached; a host USB device that is not there is refused and the VM keeps
// running untouched.
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUsbDevices } from '../src/devices/usb-reader.js';
import { parseIds } from '../src/devices/id-names.js';
import { VmUsbDevices } from '../src/devices/usb-hotplug.js';
import { realHostProbeEnv } from '../src/host-check/host-probe-env.js';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_PROMPT } from './fixtures/guest-builder.js';
import { GuestSerial, guestUntil as untilAt, waitForShell } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { ensureInitrdWithModules } from './fixtures/disk-guest.js';
import { vmSpec } from './fixtures/contract-params.js';
import { errorOf } from './fixtures/error-of.js';

/** Debian's kernel has USB, xHCI and HID as modules; in load order (insmod resolves no dependencies). */
const USB_MODULES = [
  'drivers/usb/common/usb-common.ko',
  'drivers/usb/core/usbcore.ko',
  'drivers/usb/host/xhci-hcd.ko',
  'drivers/usb/host/xhci-pci.ko',
  'drivers/hid/hid.ko',
  'drivers/hid/usbhid/usbhid.ko',
  'drivers/hid/hid-generic.ko',
];

const name = 'nv10u-usb';
let run: VmTestRun;
let vms: VmManager;
let usb: VmUsbDevices;

/** The guest's shell with kernel messages kept off it, and two short commands (the terminal wraps at 80 columns). */
async function serialOf(): Promise<GuestSerial> {
  const serial = await GuestSerial.connect((await vms.consoleInfo(name)).serialSocket);
  await waitForShell(serial, GUEST_PROMPT, 90_000);
  await serial.run('dmesg -n 1', GUEST_PROMPT);
  await serial.run('p(){ cat /sys/bus/usb/devices/*/product;}', GUEST_PROMPT);
  await serial.run('i(){ grep -h Name= /proc/bus/input/devices;}', GUEST_PROMPT);
  return serial;
}

/** What the guest's kernel knows of USB devices: their product strings (p) and the input devices (i) their drivers made. */
const SEEN = 'p;i';

/** Polls a guest command until its output satisfies `ok` (bounded). */
const guestUntil = (serial: GuestSerial, command: string, ok: (out: string) => boolean, timeoutMs = 30_000) => untilAt(serial, command, GUEST_PROMPT, ok, timeoutMs);

beforeAll(async () => {
  run = await startVmTestRun('nv10u');
  const initrd = await ensureInitrdWithModules(run.guest, 'usb-v1', USB_MODULES);
  vms = await run.manager({ allowedRoots: [run.dir, dirname(run.guest.vmlinux), dirname(initrd)] });
  // The helper's own wiring (main.ts): the host's USB devices as the inventory reads them.
  usb = new VmUsbDevices({ vms, hostDevices: () => readUsbDevices(realHostProbeEnv(), parseIds('')) });
  const info = await vms.create(vmSpec({ name, cpus: 1, memory: '256Mi', kernel: run.guest.vmlinux, initrd, cmdline: run.guest.cmdline, display: 'none' }));
  expect(info.definition.usb).toEqual([]);
  await vms.start(name);
}, 600_000);

afterAll(async () => {
  await run?.cleanup();
});

describe('USB hot-plug into a running guest', () => {
  it('plugs an emulated tablet the guest kernel then sees, keeps it across a restart, and unplugs it so the guest loses it', async () => {
    let serial = await serialOf();
    try {
      // The controller every new q35 VM has: the guest's xHCI driver found its root hubs.
      await guestUntil(serial, 'ls /sys/bus/usb/devices', (out) => /\busb1\b/.test(out));
      expect(await serial.run(SEEN, GUEST_PROMPT)).not.toContain('Tablet');

      const info = await usb.attach(name, 'usb:tablet', null);
      expect(info.state).toBe('running');
      expect(info.definition.usb).toEqual(['usb:tablet']);
      const seen = await guestUntil(serial, SEEN, (out) => out.includes('QEMU USB Tablet') && out.includes('Name="QEMU QEMU USB Tablet"'));
      expect(seen).toContain('QEMU USB Tablet');
      expect((await usb.list(name)).devices).toEqual([{ device: 'usb:tablet', qemuId: 'usb-tablet', host: null, plugged: true }]);
    } finally {
      serial.close();
    }

    await vms.stop(name, { force: true });
    await vms.start(name);
    serial = await serialOf();
    try {
      // Plugged at start from the definition, under the same id a live detach looks for.
      await guestUntil(serial, SEEN, (out) => out.includes('QEMU USB Tablet'));
      const info = await usb.detach(name, 'usb:tablet', null);
      expect(info.definition.usb).toEqual([]);
      await guestUntil(serial, SEEN, (out) => !out.includes('Tablet'));
      expect((await usb.list(name)).devices).toEqual([]);
    } finally {
      serial.close();
    }
  }, 300_000);

  it('refuses a host device that is not plugged in, before QEMU hears of it, and the guest runs on', async () => {
    const refused = await errorOf(usb.attach(name, 'usb:1d6b:9999', null));
    expect(refused.code).toBe('not_found');
    expect(refused.message).toContain('No USB device 1d6b:9999 is plugged into this host');
    const port = await errorOf(usb.attach(name, 'usb:9-9.9', null));
    expect(port.code).toBe('not_found');

    expect((await vms.get(name)).state).toBe('running');
    expect((await vms.get(name)).definition.usb).toEqual([]);
    const peripherals = await vms.qmpOf(name).execute<Array<{ name: string }>>('qom-list', { path: '/machine/peripheral' });
    expect(peripherals.map((p) => p.name).filter((n) => n.startsWith('usb-') && n !== 'usb-xhci')).toEqual([]);
    const serial = await serialOf();
    try {
      expect(await serial.run('echo alive', GUEST_PROMPT)).toBe('alive');
    } finally {
      serial.close();
    }
  }, 120_000);
});
