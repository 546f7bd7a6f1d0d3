// Windows 11's defaults, as its installer needs them without drivers: os = "windows11"
// gives UEFI Secure Boot, a TPM and Hyper-V, a SATA disk, an e1000e NIC, a USB tablet and
// the guest agent's channel; with a virtio-win ISO the disk is virtio and the ISO sits in
// cd1. Checked in what the real QEMU (TCG, real OVMF and swtpm) runs with: its command
// line and what QMP says it has.
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { installedOvmf } from '../src/vm/firmware.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

let run: VmTestRun;
let vms: VmManager;
let installer: string;
let virtioWin: string;

afterAll(async () => {
  await run?.cleanup();
});

async function makeIso(label: string): Promise<string> {
  const tree = join(run.dir, `${label}-tree`);
  await mkdir(tree, { recursive: true });
  await writeFile(join(tree, 'readme.txt'), `${label}\n`);
  const iso = join(run.dir, `${label}.iso`);
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', label, '-o', iso, tree], { timeout: 30_000 });
  return iso;
}

/** The running QEMU's own command line, one argument each. */
async function argvOf(name: string): Promise<string[]> {
  const pid = (await vms.get(name)).pid;
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
}

interface PciDevice {
  id: { vendor: number; device: number };
  qdev_id: string;
}
async function pciIds(name: string): Promise<string[]> {
  const buses = await vms.qmpOf(name).execute<Array<{ devices: PciDevice[] }>>('query-pci');
  return buses.flatMap((b) => b.devices.map((d) => `${d.qdev_id || '-'}:${d.id.vendor.toString(16)}:${d.id.device.toString(16)}`));
}

beforeAll(async () => {
  run = await startVmTestRun('nv11n');
  vms = await run.manager({ firmware: installedOvmf() });
  installer = await makeIso('NV11N_WIN');
  virtioWin = await makeIso('NV11N_VIRTIO');
}, 600_000);

describe('os = "windows11"', () => {
  it('without drivers: SATA disk, e1000e NIC, USB tablet, guest agent channel, on Secure Boot with a TPM', async () => {
    const name = 'nv11n-win';
    const info = await vms.create(vmSpec({ name, os: 'windows11', iso: installer, diskSize: '64Mi', network: 'user', display: 'vnc', accel: 'tcg' }));
    expect(info.definition).toMatchObject({ firmware: 'uefi-secure', tpm: true, hyperv: true, nics: [{ network: { mode: 'user' }, mac: null, model: 'e1000e' }], tablet: true, guestAgent: true });
    expect(info.definition.disks.map((d) => d.bus)).toEqual(['sata']);
    expect(info.definition.cdroms).toBeUndefined();
    await vms.start(name);
    try {
      const argv = await argvOf(name);
      expect(argv).toEqual(expect.arrayContaining(['ahci,id=sata0', 'ide-hd,drive=disk0,id=disk0-dev,bus=sata0.0,bootindex=2', 'e1000e,netdev=net0,id=net0-dev', 'usb-tablet,bus=xhci0.0']));
      expect(argv).toContain('virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0');
      // QEMU has them: Intel's 82574L (e1000e) and the xHCI controller on the PCI bus.
      expect(await pciIds(name)).toEqual(expect.arrayContaining(['net0-dev:8086:10d3', 'xhci0:1b36:d']));
      const tpms = await vms.qmpOf(name).execute<Array<{ model: string }>>('query-tpm');
      expect(tpms.map((t) => t.model)).toEqual(['tpm-crb']);
    } finally {
      await vms.stop(name, { force: true });
    }
  }, 240_000);

  it('with a virtio-win ISO: the disk is virtio, and the ISO is the second CD', async () => {
    const name = 'nv11n-winv';
    const info = await vms.create(vmSpec({ name, os: 'windows11', iso: installer, driverIso: virtioWin, diskSize: '64Mi', display: 'none', accel: 'tcg' }));
    expect(info.definition.disks.map((d) => d.bus)).toEqual([undefined]);
    expect(info.definition.cdroms).toEqual([{ id: 'cd1', path: virtioWin }]);
    await vms.start(name);
    try {
      const argv = await argvOf(name);
      expect(argv).toContain('virtio-blk-pci,drive=disk0,id=disk0-dev,bootindex=2');
      expect(argv).not.toContain('ahci,id=sata0');
      const blocks = await vms.qmpOf(name).execute<Array<{ qdev?: string; inserted?: { file: string } }>>('query-block');
      const cd1 = blocks.find((b) => b.qdev?.endsWith('cd1-dev'));
      expect(cd1?.inserted?.file).toMatch(/^\/dev\/fdset\/\d+$/);
    } finally {
      await vms.stop(name, { force: true });
    }
  }, 240_000);

  it('refuses a driver ISO that does not exist, naming it', async () => {
    const missing = join(run.dir, 'no-virtio-win.iso');
    await expect(vms.create(vmSpec({ name: 'nv11n-winx', os: 'windows11', driverIso: missing, display: 'none' }))).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining(missing),
    });
  }, 60_000);
});
