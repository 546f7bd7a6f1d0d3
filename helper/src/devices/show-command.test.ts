// Golden command lines of VMs with passed devices, through the very path `nova vm
// showcmd` takes (vm.showCommand -> vmCommandLine -> VmDevices.preview over the host's
// inventory). Each case is golden/NAME.json (a definition overlay and the fake host's
// PCI devices) and golden/NAME.cmd (the argv, one per line); adding a case is adding
// one such pair. UPDATE_GOLDEN=1 rewrites the .cmd files; review their diff by eye.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { VmDefinitionSchema, type VmDefinition } from '../../../src-shared/vm.js';
import { vmCommandLine } from '../vm/vm-command-line.js';
import { VmLayout } from '../vm/vm-layout.js';
import { DeviceInventoryService } from './device-inventory.js';
import { FakeSysfs, type FakePci } from './testing/fake-sysfs.js';
import { VmDevices, type VmDevicesDeps } from './vm-devices.js';

const GOLDEN = join(import.meta.dirname, 'golden');

/** One fake PCI function, with hex text where sysfs has hex. */
interface GoldenPci {
  address: string;
  vendor: string;
  device: string;
  class: string;
  driver?: string | null;
  group?: number | null;
  parent?: string;
  physfn?: string;
}

interface GoldenCase {
  def: Partial<VmDefinition>;
  host?: GoldenPci[];
}

const cases = readdirSync(GOLDEN).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();

let fs: FakeSysfs | null = null;
afterEach(() => {
  fs?.cleanup();
  fs = null;
});

async function commandLine(c: GoldenCase): Promise<string[]> {
  fs = new FakeSysfs({ prefix: 'nv10d-golden-' }).withIommu();
  for (const p of c.host ?? []) {
    const pci: FakePci = { address: p.address, vendor: parseInt(p.vendor, 16), device: parseInt(p.device, 16), classCode: parseInt(p.class, 16), driver: p.driver ?? null, group: p.group ?? null };
    fs.pci({ ...pci, ...(p.parent ? { parent: p.parent } : {}), ...(p.physfn ? { physfn: p.physfn } : {}) });
  }
  const inventory = new DeviceInventoryService({ roots: fs.roots(), isRoot: true });
  // preview() reads the inventory only; nothing that binds or spawns is reached.
  const devices = new VmDevices({ inventory, sysfsRoot: '/sys' } as VmDevicesDeps);
  const def = VmDefinitionSchema.parse({ ...sampleVmDefinition({ accel: 'tcg' }), ...c.def });
  const { argv } = await vmCommandLine(def, {
    layout: new VmLayout('/var/lib/nova', '/run/nova'),
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    firmware: { uefi: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' } },
    hostAccelerator: async () => 'tcg',
    devices,
  });
  return argv;
}

describe('vm showcmd golden command lines (devices)', () => {
  it('has a case for every device the issue names: GPU with audio (memlock), a VF, USB host by product and port, usb-redir, IVSHMEM, mdev', () => {
    expect(cases).toEqual(expect.arrayContaining(['gpu-audio-uefi', 'gpu-bios-rom', 'plain', 'sriov-vf', 'usb-host-product-and-port', 'usb-redir-spice', 'gpu-looking-glass', 'mdev-vgpu']));
  });

  for (const name of cases) {
    it(name, async () => {
      const c = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as GoldenCase;
      const argv = await commandLine(c);
      const cmdPath = join(GOLDEN, `${name}.cmd`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(cmdPath, argv.join('\n') + '\n');
      expect(argv).toEqual(readFileSync(cmdPath, 'utf8').trimEnd().split('\n'));
    });
  }
});
