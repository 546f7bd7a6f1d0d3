// Starting a VM is an operation: against the real helper (in a test-host namespace of its
// own), real QEMU under TCG and a Nova network, it shows its phases; a request on the VM
// while it boots is refused as `locked` naming the start; and a cancel while the guest
// boots leaves the VM stopped, with no QEMU, no tap on the bridge and no runtime record.
// The guest is frozen (SIGSTOP) as soon as the boot watchdog waits on it, so the cancel
// always lands before its first output.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { commandOf, freezeWhenRunning, killMatching, processesMatching, type FrozenChild } from './fixtures/frozen-child.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv8v${RUN}`;
const NET = `nv8vn${RUN}`;
const VM = `nv8v-boot-${RUN}`;
const QEMU = 'qemu-system-x86_64';
const FIRST_OUTPUT = "waiting for the guest's first output";

let run: OperationHelperRun;
let guest: TestGuest;
/** The VM's QEMU while a test holds it frozen; afterAll lets it go if the test could not. */
let frozen: FrozenChild | null = null;
const states: string[] = [];

/** The taps on the network's bridge, as the test host sees them. */
function tapsOnBridge(): string[] {
  const out = execFileSync('ip', ['-n', NETNS, '-json', 'link', 'show', 'master', NET], { encoding: 'utf8' });
  return (JSON.parse(out || '[]') as Array<{ ifname: string }>).map((l) => l.ifname);
}

const vmQemu = commandOf(QEMU, `process=nova-vm-${VM}`);
const exists = (path: string) => stat(path).then(() => true, () => false);

beforeAll(async () => {
  guest = await ensureTestGuest();
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  run = await startOperationHelper('nv8v-start', { netns: NETNS, extraArgs: ['--allowed-root', join(guest.vmlinux, '..')] });
  run.client.onEvent((e: NovaEvent) => e.name === 'vm.stateChanged' && e.payload.name === VM && states.push(e.payload.state));
  await run.client.call('network.create', { name: NET, profile: 'nat', subnet: '10.238.0.1/24' });
  await run.client.call('vm.create', { name: VM, memory: '192Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg', display: 'none', network: { nova: NET } });
}, 600_000);

afterAll(async () => {
  try {
    if (run) {
      frozen?.resume();
      await run.client.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
      await run.client.call('network.delete', { name: NET }).catch(() => undefined);
    }
  } finally {
    await killMatching(vmQemu);
    await run?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
  }
});

describe('vm.start as an operation', () => {
  it('shows its phases; while the guest boots the VM is locked by the start; a cancel leaves no QEMU, no tap and no record', async () => {
    let opId = '';
    const starting = run.client.call('vm.start', { name: VM }, { onOperation: (id) => (opId = id) });
    starting.catch(() => undefined);
    await waitFor(() => run.seen.find((o) => o.id === opId && o.progress.phase === FIRST_OUTPUT), 60_000, 'the boot watchdog phase');
    frozen = await freezeWhenRunning(vmQemu, 30_000, "the VM's QEMU");
    try {
      const serialLog = join(run.helper.stateDir, 'vms', VM, 'serial.log');
      expect((await stat(serialLog).catch(() => null))?.size ?? 0, 'the guest printed before it was frozen; the cancel cannot land mid-boot').toBe(0);
      expect(tapsOnBridge()).toHaveLength(1);
      expect((await run.client.call('vm.get', { name: VM })).state).toBe('running');

      await expect(run.client.call('vm.stop', { name: VM, force: true })).rejects.toMatchObject({
        code: 'locked',
        message: expect.stringMatching(new RegExp(`^VM ${VM} is busy: start \\(started \\d+ s ago by uid 0\\)$`)),
        details: { operationId: opId },
      });
      expect(await run.client.call('operation.cancel', { id: opId })).toMatchObject({ cancelRequested: true, cancellable: true });
      await expect(starting).rejects.toMatchObject({ code: 'cancelled', message: `start of VM ${VM} was cancelled while the guest booted; QEMU was stopped` });
    } finally {
      frozen.resume();
    }
    const phases = [...new Set(run.seen.filter((o) => o.id === opId).map((o) => o.progress.phase))];
    expect(phases.slice(0, 5)).toEqual(['starting', 'checking the VM', `attaching NIC net0 to network ${NET}`, 'starting QEMU', FIRST_OUTPUT]);
    expect(await run.client.call('operation.get', { id: opId })).toMatchObject({ kind: 'vm.start', resource: { kind: 'vm', name: VM }, state: 'cancelled' });

    expect(await run.client.call('vm.get', { name: VM })).toMatchObject({ state: 'stopped', pid: null });
    expect(await processesMatching(vmQemu)).toEqual([]);
    expect(tapsOnBridge()).toEqual([]);
    expect((await run.client.call('network.get', { name: NET })).attachments.map((a) => a.resource)).not.toContain(VM);
    expect(await exists(join(run.helper.stateDir, 'vms', `${VM}.runtime.json`))).toBe(false);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });

  it('then starts for real: past the watchdog, with its tap, and stops again', async () => {
    let opId = '';
    const info = await run.client.call('vm.start', { name: VM }, { onOperation: (id) => (opId = id) });
    expect(info.state).toBe('running');
    expect(await run.client.call('operation.get', { id: opId })).toMatchObject({ state: 'succeeded', progress: { phase: 'done' } });
    expect(run.seen.some((o) => o.id === opId && o.progress.phase === FIRST_OUTPUT)).toBe(true);
    expect(tapsOnBridge()).toHaveLength(1);
    await run.client.call('vm.stop', { name: VM, force: true });
    expect(tapsOnBridge()).toEqual([]);
  });
});
