import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { novaApi } from '../../../src-shared/api/nova-api.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { parseDeviceArg, registerVmPassthroughCommands, shellQuote } from './vm-passthrough-command.js';

/** `nova vm …` against a helper answering canned results, its params checked by the contract's schemas. */
async function run(argv: string[]) {
  const serve: Record<string, () => unknown> = {
    'vm.update': () => ({ definition: sampleVmDefinition({ name: 'win11' }), state: 'stopped', stateReason: null, pid: null, accel: null, startedAt: null, health: null }),
    'vm.showCommand': () => ({ argv: ['prlimit', '--memlock=1:1', '--', 'qemu-system-x86_64', '-name', 'guest=win11,process=nova-vm-win11', '-append', 'console=ttyS0 quiet'], notes: ['a note'] }),
  };
  let stdout = '';
  let stderr = '';
  const calls: Array<[string, unknown]> = [];
  const program = new Command('nova').option('--json', '', false);
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    globals: () => ({ socket: '', stateDir: '', json: false, autostart: false }),
    connectHelper: async () =>
      ({
        call: async (method: keyof typeof novaApi, params: unknown) => {
          calls.push([method, novaApi[method].params.parse(params)]);
          return serve[method]!();
        },
        close: () => undefined,
      }) as unknown as HelperClient,
  };
  registerVmPassthroughCommands(program, ctx);
  program.exitOverride();
  await program.parseAsync(argv, { from: 'user' });
  return { stdout, stderr, calls };
}

describe('nova vm device / showcmd', () => {
  it('device add and rm change the VM through vm.update, with policy and ROM', async () => {
    const add = await run(['vm', 'device', 'add', 'win11', '01:00.0', '--policy', 'keep', '--rom', '/roms/gpu.rom']);
    expect(add.calls).toEqual([['vm.update', { name: 'win11', devices: [{ op: 'pci.add', device: { address: '0000:01:00.0', policy: 'keep', rom: '/roms/gpu.rom' } }] }]]);
    expect(add.stdout).toBe('win11: saved; takes effect when it starts\n');
    const rm = await run(['vm', 'device', 'rm', 'win11', '0000:01:00.0']);
    expect(rm.calls).toEqual([['vm.update', { name: 'win11', devices: [{ op: 'pci.remove', address: '0000:01:00.0' }] }]]);
  });

  it('device add and rm take USB devices and mediated devices too, and refuse what is none of the three', async () => {
    const usb = await run(['vm', 'device', 'add', 'win11', 'usb:046D:C52B']);
    expect(usb.calls).toEqual([['vm.update', { name: 'win11', devices: [{ op: 'usb.add', device: 'usb:046d:c52b' }] }]]);
    const port = await run(['vm', 'device', 'rm', 'win11', 'usb:1-1.2']);
    expect(port.calls).toEqual([['vm.update', { name: 'win11', devices: [{ op: 'usb.remove', device: 'usb:1-1.2' }] }]]);
    const mdev = await run(['vm', 'device', 'add', 'win11', 'mdev:00:02.0:i915-GVTg_V5_4']);
    expect(mdev.calls).toEqual([['vm.update', { name: 'win11', devices: [{ op: 'mdev.add', mdev: { parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' } }] }]]);
    const mdevRm = await run(['vm', 'device', 'rm', 'win11', 'mdev:0000:00:02.0:i915-GVTg_V5_4']);
    expect(mdevRm.calls[0]![1]).toEqual({ name: 'win11', devices: [{ op: 'mdev.remove', mdev: { parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' } }] });
    expect(parseDeviceArg('gpu0')).toEqual({ ok: false, message: expect.stringMatching(/"gpu0" is no device; give a PCI address .*usb:046d:c52b.*mdev:/) as unknown });
    expect(parseDeviceArg('usb:printer').ok).toBe(false);
    await expect(run(['vm', 'device', 'add', 'win11', 'usb:tablet', '--rom', '/r.rom'])).rejects.toThrow(/--policy and --rom are for PCI devices only/);
  });

  it('showcmd prints one line a shell takes back as the same argv, notes on stderr', async () => {
    const { stdout, stderr, calls } = await run(['vm', 'showcmd', 'win11']);
    expect(calls).toEqual([['vm.showCommand', { name: 'win11' }]]);
    expect(stdout).toBe("prlimit --memlock=1:1 -- qemu-system-x86_64 -name guest=win11,process=nova-vm-win11 -append 'console=ttyS0 quiet'\n");
    expect(stderr).toBe('# a note\n');
  });

  it('quotes what a shell would split or expand', () => {
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(shellQuote('{"driver":"file"}')).toBe(`'{"driver":"file"}'`);
    expect(shellQuote('')).toBe("''");
  });
});
