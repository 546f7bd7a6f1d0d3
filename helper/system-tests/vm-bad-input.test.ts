// Bad input to the VM engine: each refusal is a clear error with the right code, and
// leaves nothing behind in the state dir (no definition, no folder, no disk).
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { paramsOf, vmSpec } from './fixtures/contract-params.js';

let run: VmTestRun;
let vms: VmManager;

beforeAll(async () => {
  run = await startVmTestRun();
  vms = await run.manager();
});

afterAll(async () => {
  await run?.cleanup();
});

async function stateFiles(): Promise<string[]> {
  return (await readdir(join(run.stateDir, 'vms'))).sort();
}

async function expectRefused(work: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const before = await stateFiles();
  // The contract's parse (the helper's boundary) refuses before any promise exists.
  await expect(Promise.resolve().then(work)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  expect(await stateFiles()).toEqual(before);
}

const guestSpec = () => ({ kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: 'panic=-1', display: 'none' as const, memory: '128Mi' });

describe('bad VM names', () => {
  for (const [label, name] of [
    ['a slash', 'nv3-a/b'],
    ['dot-dot', '..'],
    ['a path', '../nv3-escape'],
    ['a space', 'nv3 space'],
    ['64 characters', 'nv3-' + 'x'.repeat(60)],
    ['upper case', 'NV3-Upper'],
    ['nothing', ''],
  ] as const) {
    it(`refuses ${label}`, async () => {
      await expectRefused(() => vms.create(vmSpec({ ...guestSpec(), name })), 'invalid_argument', /name/);
    });
  }

  it('accepts exactly 63 characters', async () => {
    const name = 'nv3-' + 'y'.repeat(59);
    await vms.create(vmSpec({ ...guestSpec(), name }));
    await vms.delete(name);
  });
});

describe('bad sizes and counts', () => {
  it('refuses 16Zi of memory, naming the unit', async () => {
    await expectRefused(() => vms.create(vmSpec({ ...guestSpec(), name: 'nv3-zi', memory: '16Zi' })), 'invalid_argument', /unit "Zi" is not supported/);
  });
  it('refuses zero CPUs', async () => {
    await expectRefused(() => vms.create(vmSpec({ ...guestSpec(), name: 'nv3-cpu', cpus: 0 })), 'invalid_argument', /at least one CPU/);
  });
  it('refuses a disk size that is not a size', async () => {
    await expectRefused(() => vms.create(vmSpec({ ...guestSpec(), name: 'nv3-disk', diskSize: 'lots' })), 'invalid_argument', /disk size/);
  });
});

describe('bad paths', () => {
  it('refuses a missing image', async () => {
    await expectRefused(() => vms.create(vmSpec({ name: 'nv3-missing', image: join(run.dir, 'no-such.qcow2') })), 'not_found', /does not exist/);
  });
  it('refuses a path outside the allowed roots', async () => {
    await expectRefused(() => vms.create(vmSpec({ name: 'nv3-outside', image: '/etc/passwd' })), 'invalid_argument', /outside the allowed folders/);
  });
  it('refuses a symlink that leads out of the allowed roots, without saying where it leads', async () => {
    await mkdir(join(run.dir, 'imgs'), { recursive: true });
    await symlink('/etc/hostname', join(run.dir, 'imgs/evil.qcow2'));
    // Where the link points is not the caller's to learn: the message names only their own path.
    await expectRefused(() => vms.create(vmSpec({ name: 'nv3-symlink', image: join(run.dir, 'imgs/evil.qcow2') })), 'invalid_argument', /^(?![\s\S]*\/etc\/)[\s\S]*symbolic link/);
  });
  it('refuses a relative path', async () => {
    await expectRefused(() => vms.create(vmSpec({ name: 'nv3-relative', iso: 'imgs/x.iso' })), 'invalid_argument', /absolute path/);
  });
  it('refuses an image that is not a disk image, and removes the half-made VM', async () => {
    await writeFile(join(run.dir, 'imgs/junk.vmdk'), 'not a disk');
    await expect(vms.create(vmSpec({ name: 'nv3-junk', image: join(run.dir, 'imgs/junk.vmdk') }))).resolves.toBeDefined();
    await vms.delete('nv3-junk');
    expect(await stateFiles()).toEqual([]);
  });
});

describe('bad lifecycle requests', () => {
  const name = 'nv3-busy';

  it('refuses starting a running VM and deleting it without force; deletes it with force', async () => {
    await vms.create(vmSpec({ ...guestSpec(), name, diskSize: '16Mi' }));
    await vms.start(name);
    await expect(vms.start(name)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/already running/) });
    await expect(vms.delete(name)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/stop it first/) });
    expect((await vms.get(name)).state).toBe('running');
    await vms.delete(name, { force: true });
    expect(await stateFiles()).toEqual([]);
  });

  it('refuses a duplicate VM, and operations on a VM that does not exist', async () => {
    await vms.create(vmSpec({ ...guestSpec(), name: 'nv3-dup' }));
    await expectRefused(() => vms.create(vmSpec({ ...guestSpec(), name: 'nv3-dup' })), 'already_exists', /already exists/);
    await vms.delete('nv3-dup');
    await expect(vms.start('nv3-ghost')).rejects.toMatchObject({ code: 'not_found' });
    await expect(vms.stop('nv3-ghost')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses stopping a stopped VM and snapshots of a VM without a qcow2 disk', async () => {
    await vms.create(vmSpec({ ...guestSpec(), name: 'nv3-idle' }));
    await expect(vms.stop('nv3-idle')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/not running/) });
    await expect(vms.snapshotCreate('nv3-idle', 's1')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/no qcow2 disk/) });
    const badName = async () => {
      const p = paramsOf('vm.snapshotCreate', { name: 'nv3-idle', snapshot: '../s' });
      return vms.snapshotCreate(p.name, p.snapshot, p.description);
    };
    await expect(badName()).rejects.toMatchObject({ code: 'invalid_argument' });
    await vms.delete('nv3-idle');
  });

  it('keeps disks when asked', async () => {
    const vm = await vms.create(vmSpec({ ...guestSpec(), name: 'nv3-keep', diskSize: '16Mi' }));
    await vms.delete('nv3-keep', { keepDisks: true });
    expect(await readdir(join(run.stateDir, 'vms/nv3-keep'))).toEqual(['disk0.qcow2']);
    expect(vm.definition.disks[0]!.path).toBe(join(run.stateDir, 'vms/nv3-keep/disk0.qcow2'));
  });
});
