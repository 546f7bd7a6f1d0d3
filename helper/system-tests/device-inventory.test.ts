// The device inventory and preflight on this very machine, through the real helper and
// CLI: the PCI addresses, classes and drivers `lspci` reports, USB as sysfs has it,
// and, without an IOMMU here, groups that are null and a preflight that says so; and a
// real kernel uevent (a `change` written to a device's uevent file) told as device.changed.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceInventory, DevicePreflight } from '../../src-shared/device.js';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { CLI_BUNDLE, makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';

const isRoot = process.getuid?.() === 0;
const hasLspci = existsSync('/usr/bin/lspci');
const hasUdevadm = ['/usr/bin/udevadm', '/bin/udevadm', '/usr/sbin/udevadm'].some((p) => existsSync(p));
let dir = '';
let helper: RunningHelper;

/** The CLI against our helper; execFile's buffers drain while it runs, its timeout bounds it. */
function nova(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `lspci -Dk`'s devices: address -> class (4 hex digits, from -n) and kernel driver in use. */
function lspci(): Map<string, { classCode: string; driver: string | null }> {
  const devices = new Map<string, { classCode: string; driver: string | null }>();
  for (const line of execFileSync('lspci', ['-D', '-n'], { encoding: 'utf8' }).split('\n')) {
    const m = /^(\S+) ([0-9a-f]{4}): /.exec(line);
    if (m) devices.set(m[1]!, { classCode: m[2]!, driver: null });
  }
  let current: string | null = null;
  for (const line of execFileSync('lspci', ['-D', '-k'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    const addr = /^([0-9a-f]{4}:\S+) /.exec(line);
    if (addr) current = addr[1]!;
    const drv = /^\tKernel driver in use: (\S+)/.exec(line);
    if (drv && current && devices.has(current)) devices.get(current)!.driver = drv[1]!;
  }
  return devices;
}

describe.skipIf(!isRoot || !hasLspci)('devices on this machine', () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv10-devices');
    helper = await startHelper(dir);
  });

  afterAll(async () => {
    await helper?.stop();
    if (dir) await removeTestDir(dir);
  });

  it('nova device ls --json lists the PCI addresses, classes and drivers lspci sees, and the USB devices sysfs has', async () => {
    const { code, stdout } = await nova(['device', 'ls', '--json']);
    expect(code).toBe(0);
    const inv = JSON.parse(stdout) as DeviceInventory;
    const expected = lspci();
    expect(inv.pci.map((d) => d.address)).toEqual([...expected.keys()].sort());
    for (const d of inv.pci) {
      expect([d.address, d.classCode.slice(0, 4), d.driver]).toEqual([d.address, expected.get(d.address)!.classCode, expected.get(d.address)!.driver]);
      expect(d.vendorName, `${d.address} has a vendor name from pci.ids`).not.toBeNull();
    }
    const usbDir = '/sys/bus/usb/devices';
    const usbPorts = existsSync(usbDir) ? readdirSync(usbDir).filter((e) => /^\d+-\d+(\.\d+)*$/.test(e)) : [];
    expect(inv.usb.map((u) => u.port).sort()).toEqual(usbPorts.sort());
    const iommuOn = readdirSync('/sys/kernel/iommu_groups').length > 0;
    expect(inv.iommuActive).toBe(iommuOn);
    if (!iommuOn) {
      expect(inv.pci.every((d) => d.iommuGroup === null && d.groupMembers.length === 0)).toBe(true);
      expect(inv.pci.every((d) => d.readiness === 'blocked' || d.readiness === 'bridge')).toBe(true);
    }
  });

  it('the table shows every device with one readiness word, and says when the IOMMU is off', async () => {
    const { code, stdout } = await nova(['device', 'ls']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^ADDRESS +CLASS +NAME +DRIVER +GROUP +PASSTHROUGH$/);
    for (const address of lspci().keys()) expect(lines.some((l) => l.startsWith(`${address}  `) && / (ready|warn|blocked|bridge)$/.test(l))).toBe(true);
    if (readdirSync('/sys/kernel/iommu_groups').length === 0) expect(stdout).toContain('The IOMMU is off');
  });

  it('nova device check on a device here: without an IOMMU it blocks with the boot parameter and exits 1', async () => {
    const address = [...lspci().keys()].at(-1)!;
    const json = await nova(['device', 'check', address, '--json']);
    const pre = JSON.parse(json.stdout) as DevicePreflight;
    expect(pre.items.map((i) => i.id)).toEqual(expect.arrayContaining(['iommu', 'group', 'boot-vga', 'users', 'reset', 'irq-remap', 'vfio', 'memory', 'firmware']));
    const text = await nova(['device', 'check', address]);
    if (readdirSync('/sys/kernel/iommu_groups').length === 0) {
      expect(pre.verdict).toBe('block');
      const iommu = pre.items.find((i) => i.id === 'iommu')!;
      expect(iommu.verdict).toBe('block');
      expect(iommu.fix).toMatch(/boot with (intel|amd)_iommu=on iommu=pt/);
      expect(text.stdout).toContain('[BLOCK] IOMMU: ');
      expect(text.code).toBe(1);
    } else {
      expect(text.code).toBe(pre.verdict === 'block' ? 1 : 0);
    }
  });

  it.skipIf(!hasUdevadm)('a kernel uevent on a PCI device reaches subscribers as device.changed, and the next list is read afresh', async () => {
    const client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    const seen: NovaEvent[] = [];
    try {
      client.start();
      await client.waitForConnection();
      client.onEvent((e) => e.name === 'device.changed' && seen.push(e));
      await client.subscribeEvents();
      const before = await client.call('device.list', {});
      const address = before.pci[0]!.address;
      // The helper's monitor may still be starting: the synthetic uevent is repeated until
      // one is told, within a bound. Writing "change" asks the kernel for just that event.
      const deadline = Date.now() + 20_000;
      while (seen.length === 0 && Date.now() < deadline) {
        writeFileSync(`/sys/bus/pci/devices/${address}/uevent`, 'change');
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(seen[0]).toEqual({ name: 'device.changed', payload: { subsystems: ['pci'], via: 'uevent' } });
      const after = await client.call('device.list', {});
      expect(after.generatedAt > before.generatedAt).toBe(true);
    } finally {
      client.close();
    }
  });

  it('refuses what is not a PCI address, naming the syntax, and an address with no device', async () => {
    const bad = await rawCall(helper.socketPath, [request(1, 'device.get', { address: 'zz' })]);
    expect(bad.replies[0]).toHaveProperty('error');
    expect(JSON.stringify(bad.replies[0])).toContain('invalid_argument');
    expect(JSON.stringify(bad.replies[0])).toContain('is not a PCI address; use domain:bus:device.function');
    const cli = await nova(['device', 'show', 'zz']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('"zz" is not a PCI address');
    const missing = await nova(['device', 'show', '0000:7f:1f.7']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('No PCI device 0000:7f:1f.7 on this host');
  });
});
