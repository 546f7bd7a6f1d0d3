// "Force off" while a stop waits for a guest that ignores the power button: the force
// request does not queue behind the grace period (as the UI's countdown button needs),
// the waiting stop ends at once and reports that it was not graceful, and the VM is
// stopped with its QEMU gone. Without the cut, the force would wait the full minute.
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest } from './fixtures/guest-builder.js';
import { commandOf, killMatching, processesMatching } from './fixtures/frozen-child.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';

const VM = `nv16u-force-${randomBytes(3).toString('hex')}`;
const vmQemu = commandOf('qemu-system-x86_64', `process=nova-vm-${VM}`);
const GRACE_MS = 60_000;

let run: OperationHelperRun;

beforeAll(async () => {
  const guest = await ensureTestGuest();
  run = await startOperationHelper('nv16u-force', { extraArgs: ['--allowed-root', dirname(guest.vmlinux)] });
  // The plain initramfs has no power-button handler: a graceful stop can only time out.
  await run.client.call('vm.create', { name: VM, memory: '128Mi', kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, accel: 'tcg', display: 'none', network: 'none' });
  await run.client.call('vm.start', { name: VM });
}, 600_000);

// The delete cannot throw (its refusal is dropped), so the QEMU sweep and the helper's stop always run.
afterAll(async () => {
  await run?.client.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
  await killMatching(vmQemu);
  await run?.stop();
});

describe('force off during a graceful stop', () => {
  it('ends the waiting stop at once, reported as not graceful', async () => {
    const started = Date.now();
    const graceful = run.client.call('vm.stop', { name: VM, timeoutMs: GRACE_MS });
    await waitFor(async () => (await run.client.call('vm.get', { name: VM })).state === 'stopping' || undefined, 20_000, 'the VM to be stopping');

    expect(await run.client.call('vm.stop', { name: VM, force: true })).toEqual({ graceful: false });
    expect(await graceful).toEqual({ graceful: false });
    // Far from the grace period: the force cut it short instead of waiting behind it.
    expect(Date.now() - started).toBeLessThan(GRACE_MS / 2);
    expect((await run.client.call('vm.get', { name: VM })).state).toBe('stopped');
    expect(await processesMatching(vmQemu)).toEqual([]);
  }, 120_000);

  it('still refuses a force off of a VM that is not running', async () => {
    await expect(run.client.call('vm.stop', { name: VM, force: true })).rejects.toMatchObject({ code: 'failed_precondition' });
  });
});
