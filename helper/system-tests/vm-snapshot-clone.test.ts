// Snapshots with RAM, linked clones of a template and disk import, against real QEMU and
// qemu-img under TCG. The snapshot test types into the running guest, so it proves the
// RAM came back, not just the disk.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationManager } from '../src/operations/operation-manager.js';
import { silentLogger } from '../src/util/logger.js';
import { ImageLibrary } from '../src/vm/image-library.js';
import { PathGuard } from '../src/vm/path-guard.js';
import { QemuImg } from '../src/vm/qemu-img.js';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
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

const spec = (name: string) => ({
  name,
  memory: '256Mi',
  diskSize: '64Mi',
  kernel: run.guest.vmlinux,
  initrd: run.guest.initrdPlain,
  cmdline: run.guest.cmdline,
  display: 'none' as const,
});

describe('snapshots with RAM', () => {
  const name = 'nv3-snap';
  let serial: GuestSerial;

  afterAll(() => serial?.close());

  it('restores a value the running guest held in memory', async () => {
    await vms.create(vmSpec(spec(name)));
    await vms.start(name);
    const con = await vms.consoleInfo(name);
    await waitForLogText(con.serialLog, GUEST_READY_MARKER, 60_000);
    serial = await GuestSerial.connect(con.serialSocket);
    await serial.run('true', GUEST_PROMPT, 20_000);
    await serial.run('echo first > /tmp/value', GUEST_PROMPT);

    const t0 = Date.now();
    const snap = await vms.snapshotCreate(name, 'one', 'before the change');
    console.log(`snapshot-save: ${Date.now() - t0} ms, vm state ${snap.vmStateSize} bytes`);
    expect(snap).toMatchObject({ name: 'one', parent: null, withMemory: true, description: 'before the change' });
    expect(snap.vmStateSize).toBeGreaterThan(0);

    await serial.run('echo second > /tmp/value', GUEST_PROMPT);
    expect(await serial.run('cat /tmp/value', GUEST_PROMPT)).toBe('second');

    const t1 = Date.now();
    await vms.snapshotRestore(name, 'one');
    console.log(`snapshot-load: ${Date.now() - t1} ms`);
    expect((await vms.get(name)).state).toBe('running');
    // The restored guest does not know the console was used since: give it a fresh line.
    expect(await serial.run('cat /tmp/value', GUEST_PROMPT)).toBe('first');
  });

  it('keeps a tree: a second snapshot has the first as parent', async () => {
    const two = await vms.snapshotCreate(name, 'two');
    expect(two.parent).toBe('one');
    const tree = await vms.snapshotList(name);
    expect(tree.current).toBe('two');
    expect(tree.snapshots.map((s) => [s.name, s.parent])).toEqual([
      ['one', null],
      ['two', 'one'],
    ]);
  });

  it('refuses a snapshot name that exists', async () => {
    await expect(vms.snapshotCreate(name, 'one')).rejects.toMatchObject({ code: 'already_exists' });
    expect((await vms.snapshotList(name)).snapshots).toHaveLength(2);
  });

  it('deletes a live snapshot and re-parents its child', async () => {
    await vms.snapshotDelete(name, 'one');
    const tree = await vms.snapshotList(name);
    expect(tree.snapshots.map((s) => [s.name, s.parent])).toEqual([['two', null]]);
    const info = await execa('qemu-img', ['info', '-U', '--output=json', (await vms.get(name)).definition.disks[0]!.path]);
    const names = ((JSON.parse(info.stdout) as { snapshots?: Array<{ name: string }> }).snapshots ?? []).map((s) => s.name);
    expect(names).toEqual(['two']);
  });

  it('takes disk-only snapshots while stopped', async () => {
    await vms.stop(name, { force: true });
    const s = await vms.snapshotCreate(name, 'cold');
    expect(s).toMatchObject({ withMemory: false, vmStateSize: 0, parent: 'two' });
    await vms.snapshotRestore(name, 'cold');
    await vms.snapshotDelete(name, 'cold');
    expect((await vms.snapshotList(name)).snapshots.map((x) => x.name)).toEqual(['two']);
  });
});

describe('clones and templates', () => {
  it('boots a linked clone of a template, whose disk is an overlay on the template\'s', async () => {
    await vms.create(vmSpec(spec('nv3-tmpl')));
    await vms.setTemplate('nv3-tmpl', true);
    await expect(vms.start('nv3-tmpl')).rejects.toMatchObject({ code: 'failed_precondition' });
    const clone = await vms.clone('nv3-tmpl', 'nv3-linked', { linked: true });
    const disk = clone.definition.disks[0]!;
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', disk.path])).stdout) as { 'backing-filename'?: string };
    expect(info['backing-filename']).toBe((await vms.get('nv3-tmpl')).definition.disks[0]!.path);
    await vms.start('nv3-linked');
    await waitForLogText((await vms.consoleInfo('nv3-linked')).serialLog, GUEST_READY_MARKER, 60_000);
    await vms.stop('nv3-linked', { force: true });
    await expect(vms.delete('nv3-tmpl')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/linked clone nv3-linked/) });
  });

  it('refuses a linked clone of a VM that is not a template, and makes full clones', async () => {
    await expect(vms.clone('nv3-snap', 'nv3-bad', { linked: true })).rejects.toMatchObject({ code: 'failed_precondition' });
    const full = await vms.clone('nv3-snap', 'nv3-full');
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', full.definition.disks[0]!.path])).stdout) as { 'backing-filename'?: string };
    expect(info['backing-filename']).toBeUndefined();
    await vms.delete('nv3-full');
    await expect(vms.get('nv3-full')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('creates a VM from a template', async () => {
    const vm = await vms.create(vmSpec({ name: 'nv3-fromtmpl', fromTemplate: 'nv3-tmpl', memory: '128Mi' }));
    expect(vm.definition.kernel?.kernel).toBe(run.guest.vmlinux);
    expect(vm.definition.disks).toHaveLength(1);
  });
});

describe('disk import', () => {
  it('converts a raw disk to qcow2 in the image library, reporting progress', async () => {
    const raw = join(run.dir, 'source.raw');
    await execa('qemu-img', ['create', '-q', '-f', 'raw', raw, '256M']);
    // Real data, so the conversion has work to report on.
    await writeFile(raw, Buffer.alloc(32 * 1024 * 1024, 0x5a), { flag: 'r+' });
    const progress: number[] = [];
    const operations = new OperationManager({
      logger: silentLogger(),
      progressIntervalMs: 0,
      emit: (op) => op.state === 'running' && op.progress.phase.startsWith('converting') && op.progress.fraction !== null && progress.push(op.progress.fraction * 100),
    });
    const library = new ImageLibrary(vms.layout.imagesDir, new PathGuard([run.dir]), new QemuImg(), operations);
    const image = await library.import(raw, 'nv3-base', null);
    expect(image).toMatchObject({ name: 'nv3-base', format: 'qcow2', virtualSize: 256 * 1024 * 1024 });
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(100);
    expect(operations.list()).toMatchObject([{ kind: 'image.import', resource: { kind: 'image', name: 'nv3-base' }, state: 'succeeded' }]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect((await vms.images.list()).map((i) => i.name)).toEqual(['nv3-base']);
    const vm = await vms.create(vmSpec({ name: 'nv3-onimage', image: image.path, memory: '128Mi', display: 'none' }));
    await expect(vms.images.remove('nv3-base', (p) => vms.userOf(p))).rejects.toMatchObject({ code: 'failed_precondition' });
    await vms.delete(vm.definition.name);
    await vms.images.remove('nv3-base', (p) => vms.userOf(p));
    expect(await vms.images.list()).toEqual([]);
  });
});
