// Windows 11's platform on real engines under TCG: a `uefi-secure` VM with a TPM boots
// OVMF's Secure Boot build (its serial console shows the boot manager refusing the
// unsigned EFI shell: "Security Violation"), QMP lists the TPM emulator and a swtpm runs
// with its state in the VM's folder; a snapshot keeps the NVRAM and TPM state and its
// restore puts them back; a clone copies them; stop leaves no swtpm, and neither does a
// helper killed while the TPM ran. Bad input is refused with clear words.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { installedOvmf } from '../src/vm/firmware.js';
import type { VmManager } from '../src/vm/vm-manager.js';
import { vmSpec } from './fixtures/contract-params.js';
import { errorOf } from './fixtures/error-of.js';
import { killMatching, mentioning, processesMatching } from './fixtures/frozen-child.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { clearPauseSignal, pausedStart } from './fixtures/paused-start.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const OVMF_BOOT_MS = 120_000;
let run: VmTestRun;
let vms: VmManager;

beforeAll(async () => {
  run = await startVmTestRun('nv11f');
  vms = await run.manager({ firmware: installedOvmf() });
}, 600_000);

afterAll(async () => {
  await run?.cleanup();
});

const vmDir = (stateDir: string, name: string) => join(stateDir, 'vms', name);
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** The living swtpms whose TPM state is this VM's folder's. */
function swtpmsOf(stateDir: string, name: string): Promise<number[]> {
  const dir = `dir=${join(vmDir(stateDir, name), 'tpm')},mode=0600`;
  return processesMatching((argv) => argv[0] === 'swtpm' && argv.includes(dir));
}

async function serialShows(stateDir: string, name: string, text: RegExp, what: string): Promise<string> {
  return waitFor(
    async () => {
      const log = await readFile(join(vmDir(stateDir, name), 'serial.log'), 'utf8').catch(() => '');
      return text.test(log) ? log : null;
    },
    OVMF_BOOT_MS,
    what,
  );
}

describe('a uefi-secure VM with a TPM under TCG', () => {
  it('boots Secure Boot OVMF with its swtpm, keeps NVRAM and TPM state in snapshots and clones, and stop leaves no swtpm', async () => {
    const name = 'nv11f-win';
    const info = await vms.create(vmSpec({ name, os: 'windows11', memory: '512Mi', cpus: 1, diskSize: '16Mi', display: 'none', accel: 'tcg' }));
    // The profile: Secure Boot, a TPM, Hyper-V, Windows' clock, and Windows 11's floor of CPUs and memory.
    expect(info.definition).toMatchObject({ firmware: 'uefi-secure', tpm: true, hyperv: true, osType: 'windows', os: 'windows11', cpus: 2, memoryMiB: 4096 });
    // TCG here: a smaller guest is enough to reach the boot manager.
    await vms.update({ name, cpus: 1, memory: 512 });
    await vms.start(name);

    const log = await serialShows(run.stateDir, name, /Security Violation|No bootable option/, "OVMF's boot manager on the serial console");
    // Secure Boot is enforced: the unsigned EFI shell is refused.
    expect(log).toContain('Security Violation');
    const tpms = await vms.qmpOf(name).execute<Array<{ id: string; model: string; options: { type: string } }>>('query-tpm');
    expect(tpms).toEqual([expect.objectContaining({ id: 'tpm0', model: 'tpm-crb', options: expect.objectContaining({ type: 'emulator' }) })]);
    expect(await swtpmsOf(run.stateDir, name)).toHaveLength(1);
    const tpmFile = join(vmDir(run.stateDir, name), 'tpm', 'tpm2-00.permall');
    await waitFor(async () => (await readFile(tpmFile).catch(() => null)) !== null, 30_000, 'swtpm to write its state');

    // A running snapshot carries the TPM's state in QEMU's own (the emulator backend migrates it) and a copy of the NVRAM.
    await vms.snapshotCreate(name, 'live');
    expect((await vms.snapshotList(name)).snapshots[0]).toMatchObject({ name: 'live', withMemory: true });
    await readFile(join(vmDir(run.stateDir, name), 'firmware-snapshots', 'live', 'OVMF_VARS.fd'));
    await vms.snapshotRestore(name, 'live');
    expect((await vms.get(name)).state).toBe('running');
    await vms.snapshotDelete(name, 'live');

    await vms.stop(name, { force: true });
    await waitFor(async () => (await swtpmsOf(run.stateDir, name)).length === 0, 10_000, 'the swtpm to end with the VM');

    // A stopped snapshot keeps the NVRAM and the TPM state; both changed afterwards come back on restore.
    const nvram = join(vmDir(run.stateDir, name), 'OVMF_VARS.fd');
    const before = { nvram: await sha(nvram), tpm: await sha(tpmFile) };
    await vms.snapshotCreate(name, 'installed');
    await writeFile(nvram, Buffer.alloc(4096, 0x5a), { flag: 'r+' });
    await writeFile(tpmFile, 'not a TPM any more');
    expect(await sha(nvram)).not.toBe(before.nvram);
    await vms.snapshotRestore(name, 'installed');
    expect({ nvram: await sha(nvram), tpm: await sha(tpmFile) }).toEqual(before);

    // A full clone boots as its source did: the same NVRAM and TPM state, in its own folder.
    await vms.clone(name, 'nv11f-win2');
    expect(await sha(join(vmDir(run.stateDir, 'nv11f-win2'), 'OVMF_VARS.fd'))).toBe(before.nvram);
    expect(await sha(join(vmDir(run.stateDir, 'nv11f-win2'), 'tpm', 'tpm2-00.permall'))).toBe(before.tpm);

    // The snapshot's firmware copy goes with it.
    await vms.snapshotDelete(name, 'installed');
    await expect(readFile(join(vmDir(run.stateDir, name), 'firmware-snapshots', 'installed', 'OVMF_VARS.fd'))).rejects.toThrow(/ENOENT/);
  }, 600_000);

  it('refuses a second TPM: a swtpm already holding the VM state stops the start, naming it', async () => {
    const name = 'nv11f-two';
    await vms.create(vmSpec({ name, firmware: 'uefi', tpm: true, memory: '256Mi', display: 'none', accel: 'tcg' }));
    const state = join(vmDir(run.stateDir, name), 'tpm');
    await mkdir(state, { recursive: true });
    const other = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${state},mode=0600`, '--ctrl', `type=unixio,path=${join(run.dir, 'other.sock')}`], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await swtpmsOf(run.stateDir, name)).length === 1, 10_000, 'the other swtpm to run');
      const err = await errorOf(vms.start(name));
      expect(err.code).toBe('failed_precondition');
      expect(err.message).toMatch(new RegExp(`VM ${name} already has a TPM: swtpm \\(pid ${other.pid}\\)`));
      expect((await vms.get(name)).state).toBe('stopped');
    } finally {
      other.kill('SIGKILL');
    }
  }, 120_000);

  it('detects Windows 11 on an installer ISO with osinfo and gives its profile; an ISO osinfo does not know gives null', async () => {
    const tree = join(run.dir, 'iso-tree');
    await mkdir(tree, { recursive: true });
    await writeFile(join(tree, 'boot.img'), Buffer.alloc(2048));
    const iso = async (file: string, volid: string, publisher: string) => {
      const path = join(run.dir, file);
      // El Torito makes it bootable: osinfo-detect names only bootable media.
      execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', volid, '-publisher', publisher, '-b', 'boot.img', '-no-emul-boot', '-o', path, tree], { stdio: 'ignore', timeout: 30_000 });
      return path;
    };
    const win = await vms.detectOs(await iso('win11.iso', 'CCCOMA_X64FRE_EN-US_DV9', 'MICROSOFT CORPORATION'));
    expect(win).toEqual({ os: 'windows11', name: 'Microsoft Windows 11', osType: 'windows', cpus: 2, memoryMiB: 4096, diskMiB: 65536, minimum: { cpus: 2, memoryMiB: 4096, diskMiB: 65536 } });
    expect(await vms.detectOs(await iso('plain.iso', 'NV11F_DATA', 'NOBODY'))).toBeNull();
    // A path outside the allowed folders is refused, not probed.
    expect((await errorOf(vms.detectOs('/etc/passwd'))).code).toBe('invalid_argument');
  }, 120_000);

  it('refuses Secure Boot with BIOS, Windows 11 on BIOS, and an OS osinfo does not know, each naming the problem', async () => {
    const secureBios = await errorOf(vms.create(vmSpec({ name: 'nv11f-bad1', firmware: 'bios', secureBoot: true })));
    expect(secureBios).toMatchObject({ code: 'invalid_argument' });
    expect(secureBios.message).toMatch(/Secure Boot needs UEFI firmware, and firmware "bios" has none/);
    const winBios = await errorOf(vms.create(vmSpec({ name: 'nv11f-bad2', os: 'windows11', firmware: 'bios' })));
    expect(winBios.message).toMatch(/Windows 11 needs UEFI with Secure Boot/);
    const unknown = await errorOf(vms.create(vmSpec({ name: 'nv11f-bad3', os: 'nosuchos42' })));
    expect(unknown).toMatchObject({ code: 'invalid_argument' });
    expect(unknown.message).toMatch(/osinfo does not know the OS "nosuchos42"/);
    const micro = await errorOf(vms.create(vmSpec({ name: 'nv11f-bad4', machine: 'microvm', kernel: run.guest.vmlinux, tpm: true })));
    expect(micro.message).toMatch(/microvm" has no TPM/);
    for (const n of ['nv11f-bad1', 'nv11f-bad2', 'nv11f-bad3', 'nv11f-bad4']) expect((await vms.list()).map((v) => v.definition.name)).not.toContain(n);
  }, 60_000);
});

describe('a helper killed while a VM has its TPM', () => {
  let dir = '';
  let helper: RunningHelper | null = null;
  let client: HelperClient | null = null;

  async function start(pauseAt?: string): Promise<HelperClient> {
    const env: Record<string, string> = pauseAt ? { NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: pauseAt, NOVA_TEST_PAUSE_SIGNAL: join(dir, 'paused') } : {};
    helper = await startHelper(dir, { env, extraArgs: ['--run-dir', `${dir}/run`] });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
    return client;
  }

  async function kill(): Promise<void> {
    client?.close();
    client = null;
    await helper?.kill('SIGKILL');
  }

  beforeAll(async () => {
    dir = await makeTestDir('nv11f-crash');
  });

  afterAll(async () => {
    client?.close();
    await helper?.stop().catch(() => undefined);
    if (dir) await killMatching(mentioning(dir));
    if (dir) await removeTestDir(dir);
  });

  it('a start killed after swtpm began leaves no swtpm once the next helper recovers; a running VM keeps its swtpm and stop ends it', async () => {
    const name = 'nv11f-crash';
    let c = await start();
    await c.call('vm.create', { name, firmware: 'uefi-secure', tpm: true, memory: '256Mi', display: 'none', accel: 'tcg' });
    await kill();
    await clearPauseSignal(join(dir, 'paused'));
    c = await start('vm-start:after-swtpm');
    const { pending } = await pausedStart(join(dir, 'paused'), 'vm-start:after-swtpm', helper!.process.pid, () => c.call('vm.start', { name }));
    expect(await swtpmsOf(join(dir, 'state'), name)).toHaveLength(1);
    await kill();
    await pending;
    // The swtpm outlives the helper (its own session) until the next one recovers.
    expect(await swtpmsOf(join(dir, 'state'), name)).toHaveLength(1);
    c = await start();
    expect((await c.call('vm.get', { name })).state).toBe('stopped');
    expect(await swtpmsOf(join(dir, 'state'), name)).toEqual([]);

    // Running, then the helper dies: the next one adopts the VM with its swtpm; stop ends both.
    await c.call('vm.start', { name });
    await kill();
    c = await start();
    expect((await c.call('vm.get', { name })).state).toBe('running');
    expect(await swtpmsOf(join(dir, 'state'), name)).toHaveLength(1);
    await c.call('vm.stop', { name, force: true });
    await waitFor(async () => (await swtpmsOf(join(dir, 'state'), name)).length === 0, 10_000, 'the swtpm to end with the VM');
    await c.call('vm.delete', { name });
  }, 300_000);
});
