// `nova down` and the `nova up` after it, against the real helper in a test-host namespace:
// a NAT network, a capsule on it and a direct-kernel VM with a disk on it. Down leaves no
// bridge, tap, veth, nft table, runc container or QEMU, keeps the guests stopped with their
// disk, writable layer and snapshots (`nova ps` says stopped); the next up recreates the
// network and brings the same guests back with their data; `down --volumes` removes it all.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { PsRow } from '../../src-main/core/project/project-ps.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import { type TestGuest } from './fixtures/guest-builder.js';
import { novaIn, startProjectLab, stopProjectLab, type ProjectLab } from './fixtures/project-lab.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const P = `nv9r-${RUN}`;
const NS = `nv9r${RUN}`;
const NET = `nv9r${RUN}`;
const IMAGE = `${P}-busybox`;
const BOX = `${P}-box`;
const VM = `${P}-vm`;
const SUBNET = `10.98.${parseInt(RUN.slice(0, 2), 16) % 250}`;
const DATA = 'nv9r-kept-across-down';
let lab: ProjectLab | null = null;
let dir = '';
let client: HelperClient;
let guest: TestGuest;

const novaFile = () => `project = "nv9r"

[network.${NET}]
subnet = "${SUBNET}.1/24"

[capsule.${BOX}]
capsule = "${IMAGE}"
command = ["sleep", "600"]
memory = "64Mi"
network = "${NET}"

[vm.${VM}]
kernel = "${guest.vmlinux}"
initrd = "${guest.initrdPlain}"
cmdline = "${guest.cmdline}"
memory = "256Mi"
disk_size = "64Mi"
accel = "tcg"
display = "none"
network = "${NET}"
`;

const nova = (...args: string[]) => novaIn(lab, ...args);

async function planOf(): Promise<string[]> {
  const r = await nova('plan', '--json');
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as ProjectPlan).changes.map((c) => `${c.class} ${c.kind} ${c.name}`);
}

/** The interfaces in the test host: only its loopback once nothing of the project is up. */
const links = () =>
  execFileSync('ip', ['-n', NS, '-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!);
const nftRuleset = () => execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
const runcContainers = () => execFileSync('runc', ['--root', join(dir, 'state', 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim();
async function qemus(): Promise<number[]> {
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  return (await pidsMentioning(dir)).filter((pid) => cmdline(pid).includes('qemu-system'));
}
const catData = async () => (await client.call('capsule.exec', { name: BOX, command: ['cat', '/nv9r-data'], timeoutSec: 20 })).stdout.trim();
const vmDisk = async () => (await client.call('vm.get', { name: VM })).definition.disks[0]!.path;

beforeAll(async () => {
  lab = await startProjectLab(P, NS, IMAGE);
  ({ dir, client, guest } = lab);
  await writeFile(join(dir, 'NovaFile.toml'), novaFile());
}, 600_000);

afterAll(async () => {
  await stopProjectLab(lab, NS, { vms: [VM], capsules: [BOX], networks: [NET] });
}, 180_000);

describe('nova down without --volumes', () => {
  it('releases every runtime part, keeps the data, and the next up brings the same guests back', async () => {
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    // Up, the test host holds the bridge, the VM's tap and the capsule's veth.
    expect(links().length).toBeGreaterThanOrEqual(4);
    expect(nftRuleset()).toContain(NET);
    expect(runcContainers()).not.toBe('');
    expect(await qemus()).toHaveLength(1);
    const written = await client.call('capsule.exec', { name: BOX, command: ['sh', '-c', `echo ${DATA} > /nv9r-data`], timeoutSec: 20 });
    expect(written.exitCode).toBe(0);
    await client.call('capsule.snapshotCreate', { name: BOX, snapshot: 'before-down' });
    const disk = await vmDisk();
    expect(existsSync(disk)).toBe(true);

    const down = await nova('down');
    expect(down.status, down.stdout + down.stderr).toBe(0);
    expect(down.stdout).toContain(`network ${NET}: deleting`);
    expect(down.stdout).toContain(`Project nv9r: 2 stopped, 1 deleted, 0 kept, 0 failed.`);
    // Nothing of the kinds a project runs on stays: no bridge, tap or veth, no nft table, no container, no QEMU.
    expect(links()).toEqual(['lo']);
    expect(nftRuleset()).not.toContain(NET);
    expect(runcContainers()).toBe('');
    expect(await qemus()).toEqual([]);
    // Kept: the guests, stopped, with the VM's disk and the capsule's layer and snapshot.
    expect(existsSync(disk)).toBe(true);
    expect((await client.call('capsule.snapshotList', { name: BOX })).snapshots.map((s) => s.name)).toEqual(['before-down']);
    const ps = await nova('ps', '--json');
    expect(ps.status, ps.stderr).toBe(0);
    const rows = (JSON.parse(ps.stdout) as { resources: PsRow[] }).resources;
    expect(rows.map((r) => `${r.kind} ${r.name} ${r.state}`).sort()).toEqual([`capsule ${BOX} stopped`, `network ${NET} absent`, `vm ${VM} stopped`]);
    // A disk snapshot of the stopped VM: kept by the next down, gone with --volumes.
    await client.call('vm.snapshotCreate', { name: VM, snapshot: 'while-down' });
    expect((await planOf()).sort()).toEqual([`create network ${NET}`, `update capsule ${BOX}`, `update vm ${VM}`].sort());

    const again = await nova('up', '--yes');
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect((await client.call('capsule.get', { name: BOX })).state).toBe('running');
    expect((await client.call('vm.get', { name: VM })).state).toBe('running');
    expect(await catData()).toBe(DATA);
    expect(await vmDisk()).toBe(disk);
    expect(nftRuleset()).toContain(NET);
    expect(await planOf()).toEqual([]);
  });
});

describe('nova down --volumes', () => {
  it('deletes the guests with their disk, writable layer and snapshots, and the network', async () => {
    const disk = await vmDisk();
    const gone = await nova('down', '--volumes');
    expect(gone.status, gone.stdout + gone.stderr).toBe(0);
    expect(await client.call('capsule.get', { name: BOX }).then(() => 'kept', () => 'gone')).toBe('gone');
    expect(await client.call('vm.get', { name: VM }).then(() => 'kept', () => 'gone')).toBe('gone');
    expect(existsSync(disk)).toBe(false);
    expect(existsSync(join(dir, 'state', 'capsules', BOX))).toBe(false);
    expect(existsSync(join(dir, 'state', 'vms', VM))).toBe(false);
    expect(links()).toEqual(['lo']);
    expect(runcContainers()).toBe('');
    expect(await qemus()).toEqual([]);
    expect((await planOf()).sort()).toEqual([`create capsule ${BOX}`, `create network ${NET}`, `create vm ${VM}`]);
  });
});
