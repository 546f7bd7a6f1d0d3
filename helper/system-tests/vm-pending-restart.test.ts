// Pending changes outlive the helper: a running VM's change that waits for its next start
// is still shown by a new VmManager that reattached to the same QEMU, and is applied (the
// guest sees it) at the next start. And a stopped VM's firmware, TPM and Hyper-V change
// through vm.update, with the refusals a user needs: a second TPM, Secure Boot with BIOS,
// and a platform change of a running VM. Real QEMU under TCG, real swtpm, real OVMF.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { installedOvmf } from '../src/vm/firmware.js';
import { GUEST_PROMPT } from './fixtures/guest-builder.js';
import { GuestSerial, waitForShell } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec, vmUpdate } from './fixtures/contract-params.js';

let run: VmTestRun;

beforeAll(async () => {
  run = await startVmTestRun('nv11n');
}, 600_000);

afterAll(async () => {
  await run?.cleanup();
});

async function nproc(vms: VmManager, name: string): Promise<string> {
  const serial = await GuestSerial.connect((await vms.consoleInfo(name)).serialSocket);
  try {
    await waitForShell(serial, GUEST_PROMPT, 90_000);
    return await serial.run('nproc', GUEST_PROMPT);
  } finally {
    serial.close();
  }
}

const errorOf = (p: Promise<unknown>) => p.then(() => ({ code: 'none', message: 'it was accepted' }), (err: { code: string; message: string }) => err);

describe('pending changes across a helper restart', () => {
  it('are recorded, shown by the next helper, and applied at the next start', async () => {
    const name = 'nv11n-pend';
    const first = await run.manager();
    await first.create(vmSpec({ name, cpus: 1, memory: '192Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: run.guest.cmdline, display: 'none' }));
    await first.start(name);
    const pid = (await first.get(name)).pid;
    expect((await first.update(vmUpdate({ name, cpus: 2 }))).pendingChanges).toEqual(['CPUs 1 -> 2']);
    await expect(lstat(join(run.stateDir, 'vms', `${name}.started.json`))).resolves.toBeTruthy();

    // The helper goes away (its QEMUs keep running); the next one reattaches.
    await first.detachAll();
    const second = await run.manager();
    const after = await second.get(name);
    expect({ state: after.state, pid: after.pid, pending: after.pendingChanges }).toEqual({ state: 'running', pid, pending: ['CPUs 1 -> 2'] });
    expect(await nproc(second, name)).toBe('1');

    await second.stop(name, { force: true });
    await expect(lstat(join(run.stateDir, 'vms', `${name}.started.json`))).rejects.toThrow(/ENOENT/);
    await second.start(name);
    expect((await second.get(name)).pendingChanges).toEqual([]);
    expect(await nproc(second, name)).toBe('2');
    await second.stop(name, { force: true });
  }, 300_000);
});

describe('firmware, TPM and Hyper-V of a stopped VM', () => {
  it('turns plain UEFI into Secure Boot with a TPM that QEMU has at the next start', async () => {
    const name = 'nv11n-fw';
    const vms = await run.manager({ firmware: installedOvmf() });
    await vms.create(vmSpec({ name, firmware: 'uefi', memory: '256Mi', display: 'none', accel: 'tcg' }));
    const vars = join(run.stateDir, 'vms', name, 'OVMF_VARS.fd');
    await expect(lstat(vars)).resolves.toBeTruthy();

    const info = await vms.update(vmUpdate({ name, secureBoot: true, tpm: true, hyperv: true }));
    expect(info.definition).toMatchObject({ firmware: 'uefi-secure', tpm: true, hyperv: true });
    // Plain UEFI's variables have no Secure Boot keys: the next start copies the Secure Boot template.
    await expect(lstat(vars)).rejects.toThrow(/ENOENT/);

    await vms.start(name);
    try {
      const tpms = await vms.qmpOf(name).execute<Array<{ id: string; model: string }>>('query-tpm');
      expect(tpms).toEqual([expect.objectContaining({ id: 'tpm0', model: 'tpm-crb' })]);
      await expect(lstat(vars)).resolves.toBeTruthy();
      const running = await errorOf(vms.update(vmUpdate({ name, firmware: 'uefi' })));
      expect(running).toMatchObject({ code: 'failed_precondition', message: `VM ${name} is running: stop it to change its firmware, Secure Boot, TPM or Hyper-V (the machine takes them at power-on)` });
    } finally {
      await vms.stop(name, { force: true });
    }

    const second = await errorOf(vms.update(vmUpdate({ name, tpm: true })));
    expect(second).toMatchObject({ code: 'already_exists', message: `VM ${name} already has a TPM 2.0, and a VM has only one; its state is kept in ${join(run.stateDir, 'vms', name, 'tpm')}` });

    await vms.update(vmUpdate({ name, firmware: 'bios', tpm: false, hyperv: false }));
    const secureBios = await errorOf(vms.update(vmUpdate({ name, secureBoot: true })));
    expect(secureBios).toMatchObject({ code: 'invalid_argument', message: `VM ${name} has firmware "bios", which has no Secure Boot: set firmware "uefi-secure" instead` });
    const def = (await vms.get(name)).definition;
    expect({ firmware: def.firmware, tpm: def.tpm, hyperv: def.hyperv }).toEqual({ firmware: 'bios', tpm: undefined, hyperv: undefined });
    await expect(lstat(join(run.stateDir, 'vms', name, 'tpm'))).rejects.toThrow(/ENOENT/);
  }, 300_000);
});
