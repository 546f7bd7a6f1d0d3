// The VM engine against real QEMU under TCG: boot to the serial marker, a serial round
// trip, pause/resume seen by query-status, graceful stop (a guest that honours the power
// button, and one that ignores it) and force stop. One booted VM is shared where honest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_POWEROFF_MARKER, GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText } from './fixtures/guest-serial.js';
import { processGone, startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

let run: VmTestRun;
let vms: VmManager;

beforeAll(async () => {
  run = await startVmTestRun();
  vms = await run.manager();
});

afterAll(async () => {
  await run?.cleanup();
});

function guestSpec(name: string, initrd: string) {
  return {
    name,
    cpus: 1,
    memory: '256Mi',
    kernel: run.guest.vmlinux,
    initrd,
    cmdline: run.guest.cmdline,
    display: 'none' as const,
  };
}

describe('a guest that honours the power button', () => {
  const name = 'nv3-acpi';

  it('boots to the marker on its serial console', async () => {
    await vms.create(vmSpec(guestSpec(name, run.guest.initrdAcpi)));
    const t0 = Date.now();
    const info = await vms.start(name);
    expect(info.state).toBe('running');
    expect(info.accel).toBe('tcg');
    const { serialLog } = await vms.consoleInfo(name);
    await waitForLogText(serialLog, GUEST_READY_MARKER, 60_000);
    console.log(`boot to marker: ${Date.now() - t0} ms`);
  });

  it('answers a command typed on the serial console', async () => {
    const { serialSocket } = await vms.consoleInfo(name);
    const serial = await GuestSerial.connect(serialSocket);
    try {
      await waitForPrompt(serial);
      expect(await serial.run('echo $((6*7))', GUEST_PROMPT)).toBe('42');
      expect(await serial.run('cat /proc/cmdline', GUEST_PROMPT)).toContain('console=ttyS0');
    } finally {
      serial.close();
    }
  });

  it('pauses and resumes, as query-status sees it', async () => {
    expect((await vms.pause(name)).state).toBe('paused');
    expect(await vms.qmpOf(name).queryStatus()).toMatchObject({ status: 'paused', running: false });
    expect((await vms.resume(name)).state).toBe('running');
    expect(await vms.qmpOf(name).queryStatus()).toMatchObject({ status: 'running', running: true });
  });

  it('refuses to start a VM that is already running', async () => {
    await expect(vms.start(name)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/already running/) });
  });

  it('stops gracefully through the ACPI power button', async () => {
    const t0 = Date.now();
    const { serialLog } = await vms.consoleInfo(name);
    await expect(vms.stop(name, { timeoutMs: 30_000 })).resolves.toEqual({ graceful: true });
    console.log(`graceful stop: ${Date.now() - t0} ms`);
    await waitForLogText(serialLog, GUEST_POWEROFF_MARKER, 1000);
    expect((await vms.get(name)).state).toBe('stopped');
    const states = run.events.filter((e) => e.name === name).map((e) => e.state);
    expect(states).toEqual(['starting', 'running', 'paused', 'running', 'stopping', 'stopped']);
  });
});

describe('a guest that ignores the power button', () => {
  const name = 'nv3-deaf';

  it('is quit after the stop timeout', async () => {
    await vms.create(vmSpec(guestSpec(name, run.guest.initrdPlain)));
    await vms.start(name);
    await waitForLogText((await vms.consoleInfo(name)).serialLog, GUEST_READY_MARKER, 60_000);
    const t0 = Date.now();
    await expect(vms.stop(name, { timeoutMs: 1500 })).resolves.toEqual({ graceful: false });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(10_000);
    expect((await vms.get(name)).state).toBe('stopped');
  });

  it('force-stops at once, without waiting for the guest', async () => {
    await vms.start(name);
    const pid = (await vms.get(name)).pid!;
    const t0 = Date.now();
    await expect(vms.stop(name, { force: true })).resolves.toEqual({ graceful: false });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await vms.get(name)).state).toBe('stopped');
    await expect.poll(() => processGone(pid), { timeout: 2000 }).toBe(true);
  });
});

async function waitForPrompt(serial: GuestSerial): Promise<void> {
  // The shell may still be starting: poke it until it answers.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await serial.run('true', GUEST_PROMPT, 3000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}
