// Disk crash consistency, against the real helper and QEMU under TCG: a guest writes to
// its qcow2 disk (O_DIRECT, so every write reaches QEMU) when QEMU is killed with SIGKILL.
// The VM is `crashed`, the unclean stop is recorded, and the next start runs `qemu-img
// check` before QEMU opens the disk; a clean stop checks nothing; leaked clusters are
// given back; a corrupt disk refuses the start with what to do, and doing it works.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDiskInitrd } from './fixtures/disk-guest.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { commandOf, killMatching, processesMatching } from './fixtures/frozen-child.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(3).toString('hex');
const VM = `nv4g-disk-${RUN}`;
const CHECK_PHASE = 'checking disk disk0 after an unclean stop';
const CLUSTER = 65_536;
let run: OperationHelperRun;
let disk = '';

const vmQemu = commandOf('qemu-system-x86_64', `process=nova-vm-${VM}`);
const uncleanNote = () => join(run.helper.stateDir, 'vms', `${VM}.unclean.json`);
const exists = (path: string) => stat(path).then(() => true, () => false);

/** What qemu-img itself says of the disk (exit code and its JSON), read-only. */
function qemuImgCheck(): { exitCode: number; leaks: number; corruptions: number } {
  try {
    const out = JSON.parse(execFileSync('qemu-img', ['check', '--output=json', '-f', 'qcow2', disk], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Record<string, number>;
    return { exitCode: 0, leaks: out.leaks ?? 0, corruptions: out.corruptions ?? 0 };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    const out = (e.stdout ? JSON.parse(e.stdout) : {}) as Record<string, number>;
    return { exitCode: e.status, leaks: out.leaks ?? 0, corruptions: out.corruptions ?? 0 };
  }
}

/** Starts the VM; returns the phases its start operation went through. */
async function start(): Promise<string[]> {
  let opId = '';
  await run.client.call('vm.start', { name: VM }, { onOperation: (id) => (opId = id) });
  return run.seen.filter((o) => o.id === opId).map((o) => o.progress.phase ?? '');
}

/** The guest's shell on its serial console, once it booted. */
async function shell(): Promise<GuestSerial> {
  const info = await run.client.call('vm.consoleInfo', { name: VM });
  await waitForLogText(info.serialLog, GUEST_READY_MARKER, 60_000);
  const serial = await GuestSerial.connect(info.serialSocket);
  await waitForShell(serial, GUEST_PROMPT);
  return serial;
}

/** SIGKILL to the VM's QEMU; waits for the helper to see the crash. */
async function killQemu(): Promise<void> {
  const { pid } = await run.client.call('vm.get', { name: VM });
  expect(pid).not.toBeNull();
  process.kill(pid!, 'SIGKILL');
  await waitFor(async () => (await run.client.call('vm.get', { name: VM })).state === 'crashed', 15_000, 'the VM to show as crashed');
}

/** SIGKILL to the VM's QEMU while the guest writes. */
async function killDuringWrites(): Promise<void> {
  const serial = await shell();
  try {
    // The console has no size: a long command line would wrap inside its own echo.
    await serial.run('stty cols 1000', GUEST_PROMPT);
    expect(await serial.run('ls /dev/vda', GUEST_PROMPT)).toBe('/dev/vda');
    const before = (await stat(disk)).size;
    // Random 64 KiB blocks across the disk: each first write to a cluster allocates it.
    await serial.run('(while true; do dd if=/dev/urandom of=/dev/vda bs=64k count=4 seek=$((RANDOM % 1000)) oflag=direct 2>/dev/null; done) &', GUEST_PROMPT);
    await waitFor(async () => (await stat(disk)).size > before + 2 * 1024 * 1024, 60_000, 'the guest to write 2 MiB to its disk');
  } finally {
    serial.close();
  }
  await killQemu();
}

async function stopVm(): Promise<void> {
  await run.client.call('vm.stop', { name: VM, force: true });
  await waitFor(async () => (await run.client.call('vm.get', { name: VM })).state === 'stopped', 15_000, 'the VM to stop');
}

async function u64(fh: Awaited<ReturnType<typeof open>>, at: number): Promise<bigint> {
  const b = Buffer.alloc(8);
  await fh.read(b, 0, 8, at);
  return b.readBigUInt64BE();
}

/**
 * Damages the stopped disk as a crash can: `leak` marks a cluster past the end as used
 * (allocated, referenced by nothing); `corrupt` points the first L2 entry at a cluster
 * whose refcount is 0 (data that the next allocation would overwrite).
 */
async function damage(kind: 'leak' | 'corrupt'): Promise<void> {
  const fh = await open(disk, 'r+');
  try {
    const size = (await fh.stat()).size;
    const free = Math.ceil(size / CLUSTER);
    await fh.truncate((free + 1) * CLUSTER);
    if (kind === 'leak') {
      const refcountBlock = await u64(fh, Number(await u64(fh, 48)));
      const one = Buffer.alloc(2);
      one.writeUInt16BE(1);
      await fh.write(one, 0, 2, Number(refcountBlock) + 2 * free);
    } else {
      const l2 = (await u64(fh, Number(await u64(fh, 40)))) & 0x00ff_ffff_ffff_fe00n;
      expect(l2, 'the guest wrote nothing in the first 512 MiB').not.toBe(0n);
      const entry = Buffer.alloc(8);
      entry.writeBigUInt64BE((1n << 63n) | BigInt(free * CLUSTER));
      await fh.write(entry, 0, 8, Number(l2));
    }
  } finally {
    await fh.close();
  }
}

beforeAll(async () => {
  const guest = await ensureTestGuest();
  const initrd = await ensureDiskInitrd(guest);
  run = await startOperationHelper('nv4g-disk', { extraArgs: ['--allowed-root', dirname(guest.vmlinux), '--allowed-root', dirname(initrd)] });
  await run.client.call('vm.create', { name: VM, memory: '192Mi', kernel: guest.vmlinux, initrd, cmdline: guest.cmdline, accel: 'tcg', display: 'none', diskSize: '256Mi' });
  disk = (await run.client.call('vm.get', { name: VM })).definition.disks[0]!.path;
}, 600_000);

afterAll(async () => {
  try {
    await run?.client.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
  } finally {
    await killMatching(vmQemu);
    await run?.stop();
  }
});

// Each case begins from a VM that is not running, whatever the one before left.
beforeEach(async () => {
  if ((await run.client.call('vm.get', { name: VM })).state === 'running') await stopVm();
});

describe('disk crash consistency', () => {
  it('after kill -9 during guest writes, the next start checks the disk first and leaves it clean', async () => {
    expect(await start()).not.toContain(CHECK_PHASE);
    await killDuringWrites();
    expect(await exists(uncleanNote())).toBe(true);
    const afterCrash = qemuImgCheck();
    // What the crash left (leaks are common, corruption must not happen with writeback caching).
    process.stdout.write(`[nv4g] qemu-img check after kill -9: ${JSON.stringify(afterCrash)}\n`);
    expect(afterCrash.corruptions).toBe(0);

    expect(await start()).toContain(CHECK_PHASE);
    expect(await exists(uncleanNote())).toBe(false);
    expect(run.helper.logs()).toContain('disks checked after an unclean stop');
    await stopVm();
    expect(qemuImgCheck()).toEqual({ exitCode: 0, leaks: 0, corruptions: 0 });
  }, 240_000);

  it('gives back leaked clusters before QEMU opens the disk; a clean stop checks nothing', async () => {
    // The case before ended with a clean stop.
    expect(await start()).not.toContain(CHECK_PHASE);
    await killQemu();
    await damage('leak');
    expect(qemuImgCheck()).toMatchObject({ exitCode: 3, corruptions: 0 });
    expect(await start()).toContain(CHECK_PHASE);
    expect(run.helper.logs()).toContain('gave back clusters leaked by an unclean stop');
    await stopVm();
    expect(qemuImgCheck()).toEqual({ exitCode: 0, leaks: 0, corruptions: 0 });
  }, 240_000);

  it('refuses a corrupt disk with what to do, starts nothing, and starts once that is done', async () => {
    await start();
    await killQemu();
    await damage('corrupt');
    expect(qemuImgCheck()).toMatchObject({ exitCode: 2 });
    await expect(start()).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining(`qemu-img check -r all ${disk}`),
    });
    expect((await run.client.call('vm.get', { name: VM })).state).toBe('crashed');
    expect(await processesMatching(vmQemu)).toEqual([]);
    // The refusal repaired nothing, and asks again until the disk is repaired.
    expect(qemuImgCheck()).toMatchObject({ exitCode: 2 });
    await expect(start()).rejects.toMatchObject({ code: 'failed_precondition' });

    execFileSync('qemu-img', ['check', '-r', 'all', '-f', 'qcow2', disk], { stdio: 'ignore' });
    expect(await start()).toContain(CHECK_PHASE);
    await stopVm();
    expect(await exists(uncleanNote())).toBe(false);
  }, 240_000);
});
