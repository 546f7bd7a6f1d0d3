// Shared folders over virtiofs with real QEMU under TCG and QEMU's own virtiofsd: the
// caller is `nobody` (polkit rules of the test's), so QEMU and each virtiofsd run as
// uid 65534, the daemon in a user namespace inside the private mount namespace the helper
// made for it. A file written on the host is read in the guest (the busybox guest with
// the virtiofs module of the same Debian kernel), a read-only share refuses the guest's
// write with EROFS and leaves the host file alone, the mounts are seen by nobody outside
// the daemon, suspend is refused (QEMU cannot save virtiofs), and a stop leaves no daemon
// and no mount anywhere. A share whose folder is gone is refused before QEMU starts, and a
// helper killed mid-start leaves its daemon only until the next helper recovers.
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmShare } from '../../src-shared/vm-shares.js';
import { callAsNobody as callAs, effectiveUid, NOBODY } from './fixtures/as-nobody.js';
import { BootedHelper } from './fixtures/booted-helper.js';
import { errorOf } from './fixtures/error-of.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { mountInGuest } from './fixtures/guest-share.js';
import { waitFor } from './fixtures/wait-for.js';
import { clearPauseSignal, pausedStart } from './fixtures/paused-start.js';
import { PausableHelper } from './fixtures/pausable-helper.js';
import { makeTestDir, removeTestDir } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const VM = `nv6f-fs-${randomBytes(3).toString('hex')}`;
let nova: BootedHelper;
let polkit: PolkitHarness;
let guest: TestGuest;
let dir = '';

const asNobody = (method: string, params: unknown) => callAs(nova.helper!.socketPath, method, params);

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  guest = await ensureTestGuest();
  polkit = await startPolkit('nv6f-fs');
  await polkit.allow('vm', 'org.nova.vm.manage', 'nobody');
  await polkit.allow('vm-view', 'org.nova.vm.view', 'nobody');
  nova = await BootedHelper.create('nv6f-fs', [dirname(guest.vmlinux)]);
  dir = nova.dir;
  await nova.start();
}, 600_000);

afterAll(async () => {
  try {
    await nova?.cleanup([VM]);
  } finally {
    await polkit?.stop();
  }
});

/** Living virtiofsd processes serving a socket of a test's run dir. */
async function virtiofsds(testDir = dir): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await pidsMentioning(`--socket-path=${testDir}/run/`)) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('/virtiofsd')) found.push(pid);
  }
  return found;
}

async function socketOf(pid: number): Promise<string | undefined> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return argv.find((a) => a.startsWith('--socket-path='))?.slice('--socket-path='.length);
}

/** Every process's mount table lines naming `path` (as a mount point or as the mounted folder). */
async function mountsNaming(path: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/mountinfo`, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line.split(' ').slice(3, 5).some((f) => f === path || f.startsWith(`${path}/`))) lines.push(`${entry}: ${line}`);
  }
  return lines;
}

async function shell(): Promise<GuestSerial> {
  const consoles = await asNobody('vm.consoleInfo', { name: VM });
  await waitForLogText(consoles.serialLog as string, GUEST_READY_MARKER, 60_000);
  const serial = await GuestSerial.connect(consoles.serialSocket as string);
  await waitForShell(serial, GUEST_PROMPT).catch((err: unknown) => {
    serial.close();
    throw err;
  });
  return serial;
}

describe('virtiofs shared folders', () => {
  it('carries host files into the guest as the VM user, enforces read-only, and leaves nothing behind at stop', async () => {
    const rw = join(dir, 'project');
    const ro = join(dir, 'reference');
    await mkdir(rw);
    await chown(rw, NOBODY.uid, NOBODY.gid);
    await mkdir(ro);
    const words = `written on the host ${VM}`;
    await writeFile(join(rw, 'hello.txt'), `${words}\n`);
    await writeFile(join(ro, 'keep.txt'), 'unchanged\n');
    await chmod(nova.stateDir, 0o711);
    await asNobody('vm.create', { name: VM, accel: 'tcg', cpus: 1, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdVirtiofs, cmdline: guest.cmdline, display: 'none' });
    const updated = await asNobody('vm.update', { name: VM, shares: [`${rw}:/mnt/p`, `${ro}:/mnt/r:ro`] });
    const shares = (updated.definition as { shares: VmShare[] }).shares;
    expect(shares).toEqual([
      { tag: 'share0', source: rw, target: '/mnt/p', readOnly: false, via: 'virtiofs' },
      { tag: 'share1', source: ro, target: '/mnt/r', readOnly: true, via: 'virtiofs' },
    ]);

    const started = await asNobody('vm.start', { name: VM });
    expect(await effectiveUid(started.pid as number)).toBe(NOBODY.uid);
    const daemons = await virtiofsds();
    // One per share (each may fork the pid 1 of its sandbox's pid namespace).
    expect(new Set(await Promise.all(daemons.map(socketOf)))).toEqual(new Set([`${dir}/run/vms/${VM}/fs-share0.sock`, `${dir}/run/vms/${VM}/fs-share1.sock`]));
    for (const pid of daemons) expect(await effectiveUid(pid)).toBe(NOBODY.uid);
    // The folders are mounted for the daemons alone: the host's own table has no trace of them.
    const own = await readFile('/proc/self/mountinfo', 'utf8');
    expect(own).not.toContain(rw);
    expect(own).not.toContain(ro);
    expect((await mountsNaming(ro)).length).toBeGreaterThan(0);

    const serial = await shell();
    try {
      for (const share of shares) expect(await mountInGuest(serial, share)).toContain('m=0');
      expect(await serial.run('cat /mnt/p/hello.txt', GUEST_PROMPT)).toContain(words);
      expect(await serial.run('echo from-guest >/mnt/p/back.txt; echo w=$?', GUEST_PROMPT)).toContain('w=0');
      expect(await serial.run('cat /mnt/r/keep.txt', GUEST_PROMPT)).toContain('unchanged');
      const refused = await serial.run('echo no >/mnt/r/keep.txt; echo w=$?', GUEST_PROMPT);
      expect(refused).toMatch(/w=[1-9]/);
      expect(refused).toMatch(/Read-only file system/);
      // Nor can the guest's root remount it writable: the daemon's mount is locked read-only.
      await serial.run('mount -o remount,rw /mnt/r', GUEST_PROMPT, 20_000);
      expect(await serial.run('echo no >/mnt/r/new.txt; echo w=$?', GUEST_PROMPT)).toMatch(/w=[1-9]/);
    } finally {
      serial.close();
    }
    expect(await readFile(join(rw, 'back.txt'), 'utf8')).toBe('from-guest\n');
    // Written by the guest's root, it belongs to the VM's user on the host, never to root.
    expect((await stat(join(rw, 'back.txt'))).uid).toBe(NOBODY.uid);
    expect(await readFile(join(ro, 'keep.txt'), 'utf8')).toBe('unchanged\n');
    expect(await stat(join(ro, 'new.txt')).then(() => true, () => false)).toBe(false);

    // QEMU cannot save a vhost-user-fs device: suspend says so before it starts.
    const suspend = await asNobody('vm.suspend', { name: VM }).then(() => 'suspended', (err: Error) => err.message);
    expect(suspend).toBe(`failed_precondition: VM ${VM} shares folders through virtiofs, whose state QEMU cannot save: stop it instead`);
    expect((await asNobody('vm.get', { name: VM })).state).toBe('running');
    await asNobody('vm.stop', { name: VM, force: true });
    await waitFor(async () => (await virtiofsds()).length === 0, 10_000, 'the virtiofsd processes to end');
    expect(await mountsNaming(rw)).toEqual([]);
    expect(await mountsNaming(ro)).toEqual([]);
    expect(await mountsNaming(join(nova.stateDir, 'vms', VM))).toEqual([]);
  }, 300_000);

  it('refuses a start whose shared folder is gone, naming it, before QEMU or any daemon runs', async () => {
    // Whatever the first case left running (it stops the VM itself when it passes).
    const c = nova.client!;
    await c.call('vm.stop', { name: VM, force: true }).catch(() => undefined);
    const gone = join(dir, 'reference');
    await rm(gone, { recursive: true });
    const refused = await errorOf(c.call('vm.start', { name: VM }));
    expect(refused.code).toBe('not_found');
    expect(refused.message).toContain(`the shared folder ${gone} does not exist`);
    expect((await c.call('vm.get', { name: VM })).state).toBe('stopped');
    expect(await pidsMentioning(`nova-vm-${VM}`)).toEqual([]);
    expect(await virtiofsds()).toEqual([]);
  }, 120_000);
});

describe('a helper killed while a start had its virtiofsd running', () => {
  let crash: PausableHelper;
  const name = 'nv6f-fs-crash';

  beforeAll(async () => {
    const crashDir = await makeTestDir('nv6f-fscrash');
    crash = new PausableHelper(crashDir, ['--allowed-root', crashDir]);
  });

  afterAll(async () => {
    if (!crash) return;
    await crash.stop();
    for (const pid of await pidsMentioning(crash.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await removeTestDir(crash.dir);
  });

  it('leaves a daemon and its mount only until the next helper recovers', async () => {
    const folder = join(crash.dir, 'src');
    await mkdir(folder);
    let c = await crash.start();
    await c.call('vm.create', { name, memory: '128Mi', display: 'none', accel: 'tcg' });
    await c.call('vm.update', { name, shares: [`${folder}:/mnt/src:ro`] });
    await crash.kill();
    await clearPauseSignal(crash.signalFile);
    c = await crash.start('vm-start:after-virtiofsd');
    const { pending } = await pausedStart(crash.signalFile, 'vm-start:after-virtiofsd', crash.running!.process.pid, () => c.call('vm.start', { name }));
    expect(await virtiofsds(crash.dir)).not.toEqual([]);
    expect((await mountsNaming(folder)).length).toBeGreaterThan(0);
    await crash.kill();
    await pending;
    // The daemon outlives the helper (its own session), waiting for a QEMU that never comes.
    expect(await virtiofsds(crash.dir)).not.toEqual([]);
    c = await crash.start();
    expect((await c.call('vm.get', { name })).state).toBe('stopped');
    await waitFor(async () => (await virtiofsds(crash.dir)).length === 0, 10_000, 'the leftover virtiofsd to be stopped');
    expect(await mountsNaming(folder)).toEqual([]);
    await c.call('vm.delete', { name });
  }, 180_000);
});
