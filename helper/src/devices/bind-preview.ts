// The dry run of "Prepare for passthrough" (VFIO.md 5.2 item 17): the device's IOMMU
// group as the host shows it now is copied into a throwaway tree, the kernel model the
// binder tests use answers its writes, and the real binder binds and then restores it
// there. The refusals are the real ones (the binder plans against the host's own
// inventory); the writes listed are exactly those Apply and Release would make.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BindPreview, PciDevice, SysfsWrite } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import { DeviceJournal } from './device-journal.js';
import { VfioBinder } from './vfio-binder.js';

const VFIO = 'vfio-pci';

export async function previewBind(address: string, singleGpu: boolean, devices: () => Promise<PciDevice[]>): Promise<BindPreview> {
  const host = await devices();
  const device = host.find((d) => d.address === address);
  if (!device) throw new NovaError('not_found', `No PCI device ${address} on this host (nova device ls lists them)`);
  // The same checks a bind makes, against the real host, before any model is built.
  const plan = await new VfioBinder({ io: unusedIO, journal: unusedJournal, devices: async () => host }).plan(address, singleGpu);
  const { FakeKernel } = await import('./testing/fake-kernel.js');
  const { FakeSysfs } = await import('./testing/fake-sysfs.js');
  const fs = new FakeSysfs({ prefix: 'nova-bind-preview-' }).withIommu();
  const stateDir = await mkdtemp(join(tmpdir(), 'nova-bind-preview-state-'));
  try {
    const mates = host.filter((d) => d.iommuGroup === plan.group).sort((a, b) => a.address.localeCompare(b.address));
    for (const d of mates) {
      fs.pci({
        address: d.address,
        vendor: parseInt(d.vendorId, 16),
        device: parseInt(d.deviceId, 16),
        classCode: parseInt(d.classCode, 16),
        driver: d.driver,
        group: plan.group,
        reset: d.resetMethods.length > 0 ? d.resetMethods : null,
        bootVga: d.bootVga === true,
      });
      if (d.driverOverride !== null) fs.file(`${fs.deviceDir(d.address)}/driver_override`, `${d.driverOverride}\n`);
    }
    const kernel = new FakeKernel(fs).loadDriver(VFIO);
    const binder = new VfioBinder({ io: kernel.io(), journal: new DeviceJournal(stateDir), devices: async () => host, verifyPollMs: 0 });
    const bound = await binder.bind({ address, policy: 'restore', holder: null, singleGpu });
    const bindWrites = writesOf(kernel.writeLog.splice(0));
    await binder.restore(plan.group);
    const restoreWrites = writesOf(kernel.writeLog.splice(0));
    return {
      address,
      group: plan.group,
      functions: bound.binding.functions.map((f) => ({ address: f.address, from: f.originalDriver, to: VFIO })),
      bindWrites,
      restoreWrites,
      warnings: plan.warnings,
    };
  } finally {
    fs.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  }
}

function writesOf(log: ReadonlyArray<{ op: string; path: string; data: string; error: string | null }>): SysfsWrite[] {
  return log.filter((w) => w.op === 'write').map((w) => ({ path: w.path, data: w.data }));
}

/** plan() reads only the device list: the planning binder never touches the host or a journal. */
const refuse = (): never => {
  throw new Error('the planning binder touches nothing');
};
const unusedIO = { readText: refuse, readLink: refuse, list: refuse, exists: refuse, writeAttr: refuse, chown: refuse, owner: refuse, sleep: refuse };
const unusedJournal = { load: refuse, save: refuse, remove: refuse, all: refuse } as unknown as DeviceJournal;
