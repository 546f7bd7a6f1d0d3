import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { novaApi } from '../../../src-shared/api/nova-api.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import type { DeviceInventory, DevicePreflight, PciDevice } from '../../../src-shared/device.js';
import { registerDeviceCommand } from './device-command.js';

const GPU = '0000:01:00.0';

function pci(over: Partial<PciDevice>): PciDevice {
  return {
    address: GPU, classCode: '030000', className: 'VGA compatible controller', vendorId: '10de', deviceId: '2684',
    vendorName: 'NVIDIA Corporation', deviceName: 'AD102 [GeForce RTX 4090]', subsystemVendorId: '1043', subsystemDeviceId: '889d',
    subsystemName: null, driver: 'nvidia', driverOverride: null, iommuGroup: 1,
    groupMembers: [
      { address: '0000:00:01.0', classCode: '060400', className: 'PCI bridge', name: null, driver: 'pcieport', bridge: true },
      { address: GPU, classCode: '030000', className: 'VGA compatible controller', name: null, driver: 'nvidia', bridge: false },
    ],
    resetMethods: ['flr', 'bus'], bootVga: false, numaNode: null, sriov: null, physfn: null,
    nodes: ['/dev/dri/card1'], users: [], mdevTypes: [], readiness: 'ready', ...over,
  };
}

const inventory = (iommuActive: boolean): DeviceInventory => ({
  generatedAt: '2026-01-01T00:00:00.000Z',
  iommuActive,
  pci: [
    pci({ address: '0000:00:01.0', classCode: '060400', className: 'PCI bridge', vendorId: '8086', deviceId: '7a44', vendorName: 'Intel Corporation', deviceName: 'Raptor Lake PCI Express Root Port', driver: 'pcieport', readiness: 'bridge', nodes: [], bootVga: null }),
    pci(iommuActive ? {} : { iommuGroup: null, groupMembers: [], readiness: 'blocked' }),
  ],
  usb: [{ port: '1-1', bus: 1, address: 3, vendorId: '046d', productId: 'c52b', vendorName: 'Logitech, Inc.', productName: 'Unifying Receiver', manufacturer: null, product: null }],
});

const preflight = (verdict: 'warn' | 'block'): DevicePreflight => ({
  address: GPU,
  verdict,
  items: [
    verdict === 'block'
      ? { id: 'iommu', label: 'IOMMU', verdict: 'block', summary: 'Not active: no device can be passed through', evidence: ['/sys/kernel/iommu_groups: 0 groups'], fix: 'Enable VT-d in the firmware setup and boot with intel_iommu=on iommu=pt' }
      : { id: 'iommu', label: 'IOMMU', verdict: 'pass', summary: 'Active; the device is in group 1', evidence: ['/sys/kernel/iommu_groups: 3 groups'], fix: null },
    { id: 'reset', label: 'Reset', verdict: 'warn', summary: 'No reset method: the device may work once per host boot', evidence: [`${GPU}/reset_method: absent (and no reset file)`], fix: 'Plan one VM start per host boot' },
  ],
});

/** `nova device …` against a helper answering canned results, its params checked by the contract's schemas. */
async function run(argv: string[], answers: { iommu?: boolean; verdict?: 'warn' | 'block'; users?: PciDevice['users'] } = {}) {
  const serve: Record<string, () => unknown> = {
    'device.list': () => inventory(answers.iommu ?? true),
    'device.get': () => pci({ users: answers.users ?? [], readiness: answers.users ? 'blocked' : 'ready' }),
    'device.check': () => preflight(answers.verdict ?? 'warn'),
    'device.bindPreview': () => ({
      address: GPU,
      group: 1,
      functions: [{ address: GPU, from: 'nvidia', to: 'vfio-pci' }],
      bindWrites: [
        { path: `/sys/bus/pci/devices/${GPU}/driver_override`, data: 'vfio-pci\n' },
        { path: `/sys/bus/pci/devices/${GPU}/driver/unbind`, data: GPU },
        { path: '/sys/bus/pci/drivers_probe', data: GPU },
      ],
      restoreWrites: [{ path: `/sys/bus/pci/devices/${GPU}/driver_override`, data: '\n' }],
      warnings: [],
    }),
    'operation.start': () => ({ operation: { id: 'op1' }, result: { group: 1, restored: [GPU] } }),
  };
  let stdout = '';
  const calls: Array<[string, unknown]> = [];
  const program = new Command('nova').option('--json', '', false);
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: () => undefined },
    globals: () => ({ socket: '', stateDir: '', json: program.opts<{ json: boolean }>().json, autostart: false }),
    connectHelper: async () =>
      ({
        call: async (method: keyof typeof novaApi, params: unknown) => {
          calls.push([method, params]);
          novaApi[method].params.parse(params);
          return serve[method]!();
        },
        close: () => undefined,
      }) as unknown as HelperClient,
  };
  registerDeviceCommand(program, ctx);
  const harden = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(harden);
  };
  harden(program);
  const previous = process.exitCode;
  process.exitCode = undefined;
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  const exitCode = process.exitCode;
  process.exitCode = previous;
  return { stdout, calls, error, exitCode };
}

describe('nova device', () => {
  it('ls prints a table with one readiness word per device, and USB below', async () => {
    const { stdout, calls } = await run(['device', 'ls']);
    expect(calls).toEqual([['device.list', { refresh: true }]]);
    expect(stdout.split('\n')).toEqual([
      'ADDRESS       CLASS                      NAME                                                 DRIVER    GROUP  PASSTHROUGH',
      '0000:00:01.0  PCI bridge                 Intel Corporation Raptor Lake PCI Express Root Port  pcieport  1      bridge',
      '0000:01:00.0  VGA compatible controller  NVIDIA Corporation AD102 [GeForce RTX 4090]          nvidia    1      ready',
      '',
      'USB devices:',
      'BUS  ADDR  ID         NAME',
      '001  003   046d:c52b  Logitech, Inc. Unifying Receiver',
      '',
    ]);
  });

  it('ls says when the IOMMU is off, and --json gives the inventory', async () => {
    expect((await run(['device', 'ls'], { iommu: false })).stdout).toContain('The IOMMU is off, so no device can be passed through');
    const json = JSON.parse((await run(['device', 'ls', '--json'], { iommu: false })).stdout) as DeviceInventory;
    expect(json).toEqual(inventory(false));
  });

  it('show prints one device, taking the short address form', async () => {
    const { stdout, calls } = await run(['device', 'show', '01:00.0'], { users: [{ pid: 4242, name: 'Xorg', node: '/dev/dri/card1' }] });
    expect(calls).toEqual([['device.get', { address: GPU }]]);
    expect(stdout).toContain('PCI device 0000:01:00.0\n');
    expect(stdout).toMatch(/IOMMU group: +1: 0000:00:01\.0 \(bridge\), 0000:01:00\.0\n/);
    expect(stdout).toMatch(/Used by: +Xorg \(pid 4242, \/dev\/dri\/card1\)/);
    expect(stdout).toMatch(/Passthrough: +blocked/);
  });

  it('check lists marks, evidence and fixes, and exits 1 when something blocks', async () => {
    const { stdout, exitCode, calls } = await run(['device', 'check', GPU, '--memory', '8Gi'], { verdict: 'block' });
    expect(calls).toEqual([['device.check', { address: GPU, memoryMib: 8192 }]]);
    expect(stdout).toBe([
      'Passthrough preflight of 0000:01:00.0:',
      '[BLOCK] IOMMU: Not active: no device can be passed through',
      '          /sys/kernel/iommu_groups: 0 groups',
      '          fix: Enable VT-d in the firmware setup and boot with intel_iommu=on iommu=pt',
      '[warn]  Reset: No reset method: the device may work once per host boot',
      '          0000:01:00.0/reset_method: absent (and no reset file)',
      '          fix: Plan one VM start per host boot',
      '',
      '0000:01:00.0 cannot be passed through: fix the BLOCK items first.',
      '',
    ].join('\n'));
    expect(exitCode).toBe(1);
  });

  it('check exits 0 when nothing blocks', async () => {
    const { stdout, exitCode } = await run(['device', 'check', GPU]);
    expect(stdout).toContain('[pass]  IOMMU: Active; the device is in group 1\n');
    expect(stdout).toContain('0000:01:00.0 can be passed through, with the warnings above.');
    expect(exitCode).toBeUndefined();
  });

  it('refuses an address that is not a PCI address before reaching the helper, and the helper refuses it too', async () => {
    const { error, calls } = await run(['device', 'show', 'zz']);
    expect(calls).toEqual([]);
    expect(String((error as Error).message)).toContain('"zz" is not a PCI address; use domain:bus:device.function');
    const refused = novaApi['device.get'].params.safeParse({ address: 'zz' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain('is not a PCI address; use domain:bus:device.function as "lspci -D" prints it');
  });

  it('prepare --dry-run prints the exact ordered writes and changes nothing; bind is its old name', async () => {
    for (const verb of ['prepare', 'bind']) {
      const { stdout, calls } = await run(['device', verb, '01:00.0', '--dry-run']);
      expect(calls).toEqual([['device.bindPreview', { address: GPU, singleGpu: false }]]);
      expect(stdout).toBe([
        'IOMMU group 1: dry run, nothing was changed',
        '  0000:01:00.0: nvidia -> vfio-pci',
        'prepare would write, in this order:',
        '  echo "vfio-pci" > /sys/bus/pci/devices/0000:01:00.0/driver_override',
        '  echo "0000:01:00.0" > /sys/bus/pci/devices/0000:01:00.0/driver/unbind',
        '  echo "0000:01:00.0" > /sys/bus/pci/drivers_probe',
        'release would then write:',
        '  echo "" > /sys/bus/pci/devices/0000:01:00.0/driver_override',
        '',
      ].join('\n'));
    }
  });

  it('names prepare and release as the issue does, keeping bind and restore as aliases', () => {
    const program = new Command('nova');
    registerDeviceCommand(program, { io: { stdout: () => undefined, stderr: () => undefined }, globals: () => ({ socket: '', stateDir: '', json: false, autostart: false }), connectHelper: async () => { throw new Error('unused'); } });
    const device = program.commands.find((c) => c.name() === 'device')!;
    const verbs = Object.fromEntries(device.commands.map((c) => [c.name(), c.aliases()]));
    expect(verbs).toMatchObject({ prepare: ['bind'], release: ['restore'] });
  });
});
