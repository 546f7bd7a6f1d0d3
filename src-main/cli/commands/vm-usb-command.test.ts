import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { formatVmUsb } from './vm-usb-command.js';

const LOGI = { port: '1-1.2', bus: 1, address: 5, vendorId: '046d', productId: 'c52b', vendorName: 'Logitech, Inc.', productName: 'Unifying Receiver', manufacturer: null, product: null };

/** A helper that records calls and answers as a running VM would. */
async function run(argv: string[]) {
  const calls: unknown[] = [];
  let stdout = '';
  let stderr = '';
  const helper = {
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push([method, params]);
      if (method === 'vm.usbList') return { controller: true, devices: [], available: [LOGI] };
      if (method === 'device.sriovSet') return { address: params.address, totalVfs: 8, vfs: ['0000:05:10.0', '0000:05:10.1'] };
      if (method === 'capsule.create') return { name: params.name, state: 'created' };
      return { definition: sampleVmDefinition({ name: 'web', usb: ['usb:046d:c52b'] }), state: 'running' };
    },
    onEvent: () => () => undefined,
    close: () => undefined,
  };
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, { connectHelper: async () => helper as unknown as HelperClient });
  return { code, stdout, stderr, calls };
}

describe('nova vm usb', () => {
  it('attaches and detaches a device parsed by the vocabulary, saying a running VM has it now', async () => {
    const a = await run(['vm', 'usb', 'attach', 'web', 'usb:046D:C52B']);
    expect(a.calls).toEqual([['vm.usbAttach', { name: 'web', device: 'usb:046d:c52b' }]]);
    expect(a.stdout).toBe('web: usb:046d:c52b attached now and kept for its next starts\n');
    const d = await run(['vm', 'usb', 'detach', 'web', 'usb:tablet']);
    expect(d.calls).toEqual([['vm.usbDetach', { name: 'web', device: 'usb:tablet' }]]);
  });

  it('refuses a device it cannot read before calling the helper', async () => {
    const r = await run(['vm', 'usb', 'attach', 'web', '046d:c52b']);
    expect(r.code).not.toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toContain('usb:046d:c52b');
  });

  it("lists the VM's devices and the host's others", () => {
    const text = formatVmUsb('web', {
      controller: true,
      devices: [
        { device: 'usb:tablet', qemuId: 'usb-tablet', host: null, plugged: true },
        { device: 'usb:0781:5583', qemuId: 'usb-0781-5583', host: null, plugged: false },
      ],
      available: [LOGI],
    });
    expect(text).toBe(
      ['  usb:tablet  (emulated, in the guest)', '  usb:0781:5583  (not plugged into the host, not in the guest)', 'host devices it could be given:', '  usb:046d:c52b  bus 1 port 1-1.2  Logitech, Inc. Unifying Receiver'].join('\n'),
    );
  });
});

describe('nova device vfs and capsule --gpu', () => {
  it('asks for VFs on a PF and lists what it got', async () => {
    const r = await run(['device', 'vfs', '05:00.0', '2']);
    expect(r.calls).toEqual([['device.sriovSet', { address: '0000:05:00.0', count: 2 }]]);
    expect(r.stdout).toBe('0000:05:00.0: 2 of 8 virtual functions: 0000:05:10.0, 0000:05:10.1\n');
  });

  it('gives a capsule named GPU nodes, or all of them', async () => {
    const named = await run(['capsule', 'create', 'ml', '--image', 'busybox', '--gpu', 'renderD128', '--gpu', '/dev/dri/card0']);
    expect(named.calls[0]).toEqual(['capsule.create', expect.objectContaining({ gpus: ['renderD128', 'card0'] })]);
    const all = await run(['capsule', 'create', 'ml', '--image', 'busybox', '--gpu', 'renderD128', '--gpu', 'all']);
    expect(all.calls[0]).toEqual(['capsule.create', expect.objectContaining({ gpus: 'all' })]);
  });
});

describe('nova vm create --usb --looking-glass', () => {
  it('passes USB devices and the Looking Glass resolution, parsed by the vocabulary', async () => {
    const r = await run(['vm', 'create', 'win', '--usb', 'usb:046D:C52B', '--usb', 'usb:tablet', '--looking-glass', '2560x1440']);
    expect(r.calls[0]).toEqual(['vm.create', expect.objectContaining({ usb: ['usb:046d:c52b', 'usb:tablet'], lookingGlass: { resolution: '2560x1440' } })]);
    const bad = await run(['vm', 'create', 'win', '--looking-glass', '1440p']);
    expect(bad.calls).toEqual([]);
    expect(bad.stderr).toContain('WIDTHxHEIGHT');
  });

  it('passes mediated devices and single-GPU mode', async () => {
    const r = await run(['vm', 'create', 'win', '--mdev', 'mdev:00:02.0:i915-GVTg_V5_4', '--single-gpu']);
    expect(r.calls[0]).toEqual(['vm.create', expect.objectContaining({ mdevs: [{ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' }], singleGpu: true })]);
    const bad = await run(['vm', 'create', 'win', '--mdev', '00:02.0']);
    expect(bad.calls).toEqual([]);
    expect(bad.stderr).toContain('mdev:PARENT:TYPE');
  });
});
