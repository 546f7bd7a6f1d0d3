import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';
import { formatVmTable } from './vm-command.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';

/** A helper that records vm.update calls and answers as a running VM with the given pending changes, or refuses. */
function helperFor(calls: unknown[], answer: { state: 'running' | 'stopped'; pendingChanges?: string[] } | NovaError) {
  const helper = {
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      if (answer instanceof NovaError) throw answer;
      return { definition: sampleVmDefinition({ name: 'web' }), state: answer.state, pendingChanges: answer.pendingChanges ?? [] };
    },
    onEvent: () => () => undefined,
    close: () => undefined,
  };
  return { connectHelper: async () => helper as unknown as HelperClient };
}

async function run(argv: string[], answer: Parameters<typeof helperFor>[1] = { state: 'stopped' }) {
  const calls: unknown[] = [];
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, helperFor(calls, answer));
  return { code, stdout, stderr, calls };
}

describe('nova vm set', () => {
  it('marks a VM to start at boot with its order and delay, sets its restart policy, and unmarks it', async () => {
    const on = await run(['vm', 'set', 'web', '--autostart', '--autostart-order', '2', '--autostart-delay', '10', '--restart', 'on-crash'], { state: 'stopped' });
    expect(on.calls).toEqual([['vm.update', { name: 'web', autostart: { order: 2, delaySeconds: 10 }, restart: 'on-crash' }]]);
    const off = await run(['vm', 'set', 'web', '--autostart', 'off'], { state: 'stopped' });
    expect(off.calls).toEqual([['vm.update', { name: 'web', autostart: null }]]);
    const bad = await run(['vm', 'set', 'web', '--restart', 'sometimes'], { state: 'stopped' });
    expect(bad.code).not.toBe(0);
    expect(bad.calls).toEqual([]);
  });

  it('sets Looking Glass by resolution or off, and single-GPU mode on or off, saying what waits for the next start', async () => {
    const on = await run(['vm', 'set', 'web', '--looking-glass', '2560x1440', '--single-gpu'], { state: 'running', pendingChanges: ['Looking Glass off -> 2560x1440', 'single-GPU mode off -> on'] });
    expect(on.calls).toEqual([['vm.update', { name: 'web', singleGpu: true, devices: [{ op: 'lookingGlass.set', resolution: '2560x1440' }] }]]);
    expect(on.stdout).toBe('web: updated\n  at the next start: Looking Glass off -> 2560x1440; single-GPU mode off -> on\n');
    const off = await run(['vm', 'set', 'web', '--looking-glass', 'off', '--no-single-gpu']);
    expect(off.calls).toEqual([['vm.update', { name: 'web', singleGpu: false, devices: [{ op: 'lookingGlass.set', resolution: null }] }]]);
    const bad = await run(['vm', 'set', 'web', '--looking-glass', '1440p']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('WIDTHxHEIGHT');
    expect(bad.calls).toEqual([]);
  });

  it('sends CPUs and memory parsed by the vocabulary, and says a running VM takes them at its next start', async () => {
    const r = await run(['vm', 'set', 'web', '--cpus', '4', '--memory', '8Gi'], { state: 'running', pendingChanges: ['CPUs 2 -> 4', 'memory 1024 MiB -> 8192 MiB'] });
    expect(r.calls).toEqual([['vm.update', { name: 'web', cpus: 4, memory: 8192 }]]);
    expect(r.stdout).toBe('web: updated\n  at the next start: CPUs 2 -> 4; memory 1024 MiB -> 8192 MiB\n');
  });

  it('says a stopped VM takes the change when it starts', async () => {
    const r = await run(['vm', 'set', 'web', '--boot-order', 'disk0,cd0']);
    expect(r.calls).toEqual([['vm.update', { name: 'web', bootOrder: ['disk0', 'cd0'] }]]);
    expect(r.stdout).toBe('web: saved; takes effect when it starts\n');
  });

  it('sends firmware, Secure Boot, TPM and Hyper-V, each flag and its --no- form', async () => {
    const on = await run(['vm', 'set', 'web', '--firmware', 'uefi', '--secure-boot', '--tpm', '--hyperv']);
    expect(on.calls).toEqual([['vm.update', { name: 'web', firmware: 'uefi', secureBoot: true, tpm: true, hyperv: true }]]);
    const off = await run(['vm', 'set', 'web', '--no-secure-boot', '--no-tpm', '--no-hyperv']);
    expect(off.calls).toEqual([['vm.update', { name: 'web', secureBoot: false, tpm: false, hyperv: false }]]);
    const none = await run(['vm', 'set', 'web', '--cpus', '2']);
    expect(none.calls).toEqual([['vm.update', { name: 'web', cpus: 2 }]]);
    expect(Object.keys((none.calls[0] as [string, object])[1]).filter((k) => (none.calls[0] as [string, Record<string, unknown>])[1][k] !== undefined)).toEqual(['name', 'cpus']);
  });
});

describe('nova vm disk|cd|nic', () => {
  it('turns each verb into one device change', async () => {
    const cases: Array<[string[], unknown]> = [
      [['vm', 'disk', 'add', 'web', '--size', '2Gi', '--bus', 'sata'], { op: 'disk.add', size: 2048, bus: 'sata', cache: 'writeback' }],
      [['vm', 'disk', 'add', 'web', '--path', '/srv/data.qcow2'], { op: 'disk.add', path: '/srv/data.qcow2', bus: 'virtio', cache: 'writeback' }],
      [['vm', 'disk', 'rm', 'web', 'disk1', '--keep-file'], { op: 'disk.remove', id: 'disk1', keepFile: true }],
      [['vm', 'disk', 'resize', 'web', 'disk0', '20Gi'], { op: 'disk.resize', id: 'disk0', size: 20480 }],
      [['vm', 'cd', 'insert', 'web', '/isos/virtio-win.iso', '--drive', 'cd1'], { op: 'cd.insert', drive: 'cd1', path: '/isos/virtio-win.iso' }],
      [['vm', 'cd', 'eject', 'web'], { op: 'cd.eject', drive: 'cd0' }],
      [['vm', 'nic', 'add', 'web', '--network', 'nova:lab'], { op: 'nic.add', network: { nova: 'lab' } }],
      [['vm', 'nic', 'add', 'web', '--network', 'nova:storage', '--model', 'e1000e', '--mac', '52:54:00:00:00:02'], { op: 'nic.add', network: { nova: 'storage' }, model: 'e1000e', mac: '52:54:00:00:00:02' }],
      [['vm', 'nic', 'set', 'web', '--mac', '52:54:00:AA:BB:CC'], { op: 'nic.set', mac: '52:54:00:aa:bb:cc' }],
      [['vm', 'nic', 'set', 'web', '--index', '1', '--link', 'down'], { op: 'nic.set', index: 1, link: 'down' }],
      [['vm', 'nic', 'set', 'web', '--of', '52:54:00:00:00:02', '--network', 'nova:lab'], { op: 'nic.set', of: '52:54:00:00:00:02', network: { nova: 'lab' } }],
      [['vm', 'nic', 'rm', 'web'], { op: 'nic.remove' }],
      [['vm', 'nic', 'rm', 'web', '--index', '2'], { op: 'nic.remove', index: 2 }],
    ];
    for (const [argv, change] of cases) {
      const r = await run(argv);
      expect({ argv, code: r.code, stderr: r.stderr }).toEqual({ argv, code: 0, stderr: '' });
      expect(JSON.parse(JSON.stringify(r.calls))).toEqual([['vm.update', { name: 'web', devices: [change] }]]);
    }
  });

  it('says what a running VM took now', async () => {
    const r = await run(['vm', 'cd', 'eject', 'web'], { state: 'running' });
    expect(r.stdout).toBe('web: updated\n  applied now: cd0 ejected\n');
  });

  it('refuses a bad disk or drive name before the helper is asked, and shows the helper\'s refusal as it is', async () => {
    const bad = await run(['vm', 'disk', 'resize', 'web', 'vda', '2Gi']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"vda" is not a disk; disks are named disk0, disk1');
    expect(bad.calls).toEqual([]);
    const shrink = new NovaError('invalid_argument', 'disk0 of VM web is 20 GiB; shrinking it to 10 GiB would cut off what the guest wrote there: disks only grow');
    const refused = await run(['vm', 'disk', 'resize', 'web', 'disk0', '10Gi'], shrink);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('disks only grow');
  });
});

describe('nova vm ls', () => {
  it('tells how to eject the CD of a VM whose install finished', () => {
    const info = { definition: sampleVmDefinition({ name: 'win' }), state: 'running' as const, stateReason: null, pid: 7, accel: 'tcg' as const, startedAt: null, health: null, ejectSuggested: true };
    expect(formatVmTable([info])).toContain('win: the install finished; eject its CD so it boots from its disk: nova vm cd eject win');
  });
});
