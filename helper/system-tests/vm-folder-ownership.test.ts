// A VM's folder against the user its QEMU runs as: the real helper as root, the caller
// `nobody` allowed org.nova.vm.manage by a private polkit. The caller plants links in the
// VM's folder (the folder an older Nova made over to them, or as they find it now) toward
// root-only secrets and starts the VM again: every secret keeps its content and owner,
// and the helper opens none of them (strace). QEMU runs as the caller for a VM with a
// disk Nova made, as root for root, and a VM holding a file the caller cannot read is
// refused with that path named, never run as root on their behalf.
import { randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAsNobody, callAsRoot, effectiveUid, NOBODY, runAsNobody } from './fixtures/as-nobody.js';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { traceSyscalls } from './fixtures/syscall-trace.js';
import { startHelperForNobody } from './fixtures/nobody-vm-helper.js';
import { makeTestDir, removeTestDir, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';
import { polkitAvailable, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv12v-own';
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
let guest: TestGuest;
const made: string[] = [];

const secretsDir = () => join(dir, 'secrets');
const vmDir = (vm: string) => join(helper.stateDir, 'vms', vm);

interface FileState {
  content: string;
  uid: number;
  gid: number;
  mode: number;
}

async function fileState(path: string): Promise<FileState> {
  const st = await stat(path);
  return { content: await readFile(path, 'utf8'), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
}

interface Secret {
  path: string;
  before: FileState;
}

/** A root-only file outside every folder Nova may use, and how it looks now. */
async function secret(name: string): Promise<Secret> {
  const path = join(secretsDir(), name);
  await writeFile(path, `nv12v secret ${name} ${randomBytes(8).toString('hex')}\n`, { mode: 0o600 });
  return { path, before: await fileState(path) };
}

const asRoot = (method: string, params: unknown) => callAsRoot(helper.socketPath, method, params);
const nobody = (method: string, params: unknown) => callAsNobody(helper.socketPath, method, params);
const refusal = (p: Promise<unknown>) => p.then(() => null, (err: Error) => err.message);

async function createVm(name: string, extra: Record<string, unknown> = {}, as: 'nobody' | 'root' = 'nobody'): Promise<void> {
  const spec = { name, cpus: 1, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, display: 'none', network: 'none', ...extra };
  await (as === 'nobody' ? nobody('vm.create', spec) : asRoot('vm.create', spec));
  made.push(name);
}

/** Starts as `as`, waits for the guest, returns QEMU's pid. */
async function boot(name: string, as: 'nobody' | 'root'): Promise<number> {
  const info = await (as === 'nobody' ? nobody('vm.start', { name }) : asRoot('vm.start', { name }));
  expect(info.state).toBe('running');
  await waitForLogText(join(vmDir(name), 'serial.log'), GUEST_READY_MARKER, 60_000);
  return info.pid as number;
}

async function stopVm(name: string): Promise<void> {
  await asRoot('vm.stop', { name, force: true }).catch(() => undefined);
}

/** Plants a symbolic link as nobody; false when the folder refuses them. */
async function plantAsNobody(target: string, link: string): Promise<boolean> {
  return (await runAsNobody(['ln', '-sfn', target, link])).exitCode === 0;
}

/** Every file the helper and its children open or chown (each descriptor with the path it resolved to) while `work` runs. */
async function openedDuring(work: () => Promise<void>): Promise<string> {
  const out = join(dir, `strace-${randomBytes(3).toString('hex')}.txt`);
  const trace = await traceSyscalls(helper.process.pid!, ['openat', 'openat2', 'chown', 'fchown', 'fchownat', 'lchown'], out);
  try {
    await work();
  } finally {
    await trace.stop();
  }
  return (await trace.calls()).map((c) => c.line).join('\n');
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  guest = await ensureTestGuest();
  dir = await makeTestDir(PREFIX);
  await mkdir(secretsDir(), { mode: 0o700 });
  ({ helper, polkit } = await startHelperForNobody(dir, PREFIX, guest));
}, 600_000);

afterAll(async () => {
  try {
    for (const name of made) await asRoot('vm.delete', { name, force: true }).catch(() => undefined);
    await helper?.stop();
  } finally {
    for (const pid of dir ? await pidsMentioning(dir) : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await polkit?.stop();
    if (dir) await removeTestDir(dir);
  }
});

describe("a VM's folder and the user QEMU runs as", () => {
  it('never lets the caller turn the seed ISO onto a root file (cidata.iso.tmp -> secret)', async () => {
    const vm = 'nv12v-seed';
    const target = await secret('seed');
    await createVm(vm, { cloudInit: { hostname: 'nv12v' } });
    await boot(vm, 'nobody');
    await stopVm(vm);
    const planted = await plantAsNobody(target.path, join(vmDir(vm), 'cidata.iso.tmp'));
    const second = await refusal(boot(vm, 'nobody'));
    await stopVm(vm);
    expect(await fileState(target.path)).toEqual(target.before);
    // The folder stays root's: the caller could not even plant the link.
    expect({ planted, owner: (await stat(vmDir(vm))).uid }).toEqual({ planted: false, owner: 0 });
    expect(second).toBeNull();
  });

  it('takes back a folder an older Nova made over, and opens nothing its links point at', async () => {
    const vm = 'nv12v-legacy';
    await createVm(vm, { diskSize: '16Mi', cloudInit: { hostname: 'nv12v' } });
    const secrets = await Promise.all(['seed-tmp', 'serial-log', 'qemu-log', 'disk'].map(secret));
    const [seedTmp, serialLog, qemuLog, disk] = secrets as [Secret, Secret, Secret, Secret];
    // As a former Nova left it after a run as nobody: the folder theirs, 0700, and links in it.
    const legacy = async (links: Array<[Secret | string, string]>) => {
      await chown(vmDir(vm), NOBODY.uid, NOBODY.gid);
      await chmod(vmDir(vm), 0o700);
      for (const [target, name] of links) {
        if (name === 'disk0.qcow2') await runAsNobody(['rm', '-f', join(vmDir(vm), name)]);
        expect(await plantAsNobody(typeof target === 'string' ? target : target.path, join(vmDir(vm), name))).toBe(true);
      }
    };

    await legacy([[seedTmp, 'cidata.iso.tmp'], [serialLog, 'serial.log'], [qemuLog, 'qemu.log'], [secretsDir(), 'cidata']]);
    let pid = 0;
    const firstTrace = await openedDuring(async () => {
      pid = await boot(vm, 'nobody');
    });
    expect(await effectiveUid(pid)).toBe(NOBODY.uid);
    await stopVm(vm);

    await legacy([[disk, 'disk0.qcow2']]);
    let refused: string | null = null;
    const secondTrace = await openedDuring(async () => {
      refused = await refusal(nobody('vm.start', { name: vm }));
    });
    for (const s of secrets) expect({ path: s.path, ...(await fileState(s.path)) }).toEqual({ path: s.path, ...s.before });
    for (const trace of [firstTrace, secondTrace]) {
      expect(trace).toMatch(/openat\(/); // strace saw the helper at work
      expect(trace.split('\n').filter((l) => l.includes(secretsDir()))).toEqual([]);
    }
    expect((await stat(vmDir(vm))).uid).toBe(0);
    // The disk is a link now, so the VM cannot start: the refusal names it.
    expect(refused).toMatch(/^(failed_precondition|invalid_argument): /);
    expect(refused).toMatch(/disk0\.qcow2.*symbolic link/);
  });

  it('runs QEMU as the caller for a VM with a disk Nova made, and as root for root', async () => {
    const vm = 'nv12v-disk';
    await createVm(vm, { diskSize: '16Mi', cloudInit: { hostname: 'nv12v' } });
    const pid = await boot(vm, 'nobody');
    try {
      expect(await effectiveUid(pid)).toBe(NOBODY.uid);
      const disk = await stat(join(vmDir(vm), 'disk0.qcow2'));
      expect({ uid: disk.uid, mode: disk.mode & 0o777 }).toEqual({ uid: NOBODY.uid, mode: 0o600 });
      const folder = await stat(vmDir(vm));
      expect({ uid: folder.uid, mode: folder.mode & 0o777 }).toEqual({ uid: 0, mode: 0o711 });
    } finally {
      await stopVm(vm);
    }
    const rootPid = await boot(vm, 'root');
    try {
      expect(await effectiveUid(rootPid)).toBe(0);
    } finally {
      await stopVm(vm);
    }
  });

  it('refuses, naming the path, a VM holding a file the caller cannot read; no root QEMU in its place', async () => {
    const vm = 'nv12v-private';
    const initrd = join(dir, 'files', 'private-initrd.img');
    await copyFile(guest.initrdPlain, initrd);
    await chmod(initrd, 0o644);
    await createVm(vm, { initrd });
    await chmod(initrd, 0o600);
    const outcome = await refusal(nobody('vm.start', { name: vm }));
    expect(outcome).toMatch(/^failed_precondition: /);
    expect(outcome).toContain(initrd);
    expect((await asRoot('vm.get', { name: vm })).state).toBe('stopped');
    expect(await pidsMentioning(`nova-vm-${vm}`)).toEqual([]);
    await rm(initrd, { force: true });
  });
});
