// Cold moves between two test hosts (network namespaces joined by a veth pair, each with its
// own helper; the second reached over real OpenSSH), driven as a user drives them from the
// first: `nova vm migrate` on a stopped VM and `nova capsule migrate`. The second host's
// helper runs in a mount namespace of its own where the volume root is another folder, so
// a volume's path names different files on each host, as on two machines.
// - A stopped TCG guest whose qcow2 overlay holds data over a base image moves: its disk
//   arrives flattened, it boots on the destination and both data are read back there, and
//   the first host has no VM, folder or disk of it left.
// - A UEFI VM with a TPM moves with its NVRAM, TPM state and snapshot unchanged.
// - A running capsule (real runc) with a file in its layer and a volume moves with
//   --restart: it runs on the destination with both files, its image was sent because the
//   destination lacked it, and it is gone from the first host; a volume path taken there is
//   refused first, and the capsule runs on where it was.
// - A move cancelled during the copy leaves the VM whole where it was and nothing on the
//   destination; a missing network is refused before anything is made; a running VM is
//   refused by the cold path.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { ensureDiskInitrd } from './fixtures/disk-guest.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { SshTestHosts } from './fixtures/ssh-test-hosts.js';
import { waitFor } from './fixtures/wait-for.js';
import { connectHelper, migrationUnderWay, novaOk, qemuOfVm } from './fixtures/migration-test-steps.js';

const RUN = randomBytes(2).toString('hex');
const VM = `nv7c-cold-${RUN}`;
const VM_CANCEL = `nv7c-cancel-${RUN}`;
const VM_NET = `nv7c-net-${RUN}`;
const VM_FW = `nv7c-fw-${RUN}`;
const CAPSULE = `nv7c-box-${RUN}`;
const IMAGE = `nv7c-busybox-${RUN}`;
const NET = `nv7c-lan${RUN}`;
const DATA = `nv7c-overlay-data-${RUN}`;
const BASE_DATA = `nv7c-base-data-${RUN}`;
/** Where in the disk the data lie (512-byte sectors): beyond anything a header would use. */
const DATA_SECTOR = 4096;
const BASE_SECTOR = 8192;

let hosts: SshTestHosts;
let guest: TestGuest;
let initrd: string;
let local: HelperClient;
let remote: HelperClient;
/** The test's own folder: disk images, the capsule image's rootfs, and each host's volume root. */
let base = '';
let images = '';
/** The volume root as both helpers name it; on the second host it is `remoteVolumes`. */
let volumes = '';
let remoteVolumes = '';

beforeAll(async () => {
  guest = await ensureTestGuest();
  initrd = await ensureDiskInitrd(guest);
  base = await mkdtemp(join(tmpdir(), 'nv7c-'));

  images = join(base, 'images');
  volumes = join(base, 'volumes');
  remoteVolumes = join(base, 'volumes-closet');
  for (const d of [images, volumes, remoteVolumes]) await mkdir(d, { mode: 0o755 });
  const layout = {
    prefix: 'nv7c',
    clientAddress: '10.217.7.1',
    serverAddress: '10.217.7.2',
    sshPort: 2247,
    clientHelper: true,
    allowedRoots: [base],
    helperArgs: ['--volume-root', volumes, '--oci-runtime', 'runc'],
    serverWrapper: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" "$1" && shift && exec "$@"', remoteVolumes, volumes],
  };
  // The kernel and the disk initrd lie in sibling folders of the guest cache.
  hosts = await SshTestHosts.start(dirname(dirname(guest.vmlinux)), layout);
  local = await connectHelper(hosts.clientHelper!.socketPath);
  remote = await connectHelper(hosts.helper!.socketPath);
  novaOk(await hosts.nova(['host', 'add', 'closet', hosts.url]));
}, 600_000);

afterAll(async () => {
  for (const client of [local, remote]) await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
  local?.close();
  remote?.close();
  await hosts?.cleanup();
  if (hosts) {
    await removeHelperCapsuleState(join(hosts.dir, 'local'), [CAPSULE]).catch(() => undefined);
    await removeHelperCapsuleState(join(hosts.dir, 'remote'), [CAPSULE]).catch(() => undefined);
    // runc's listing above makes its --root folder again, and so the test hosts' folder.
    await rm(hosts.dir, { recursive: true, force: true });
  }
  if (base) await rm(base, { recursive: true, force: true });
});

const vmNames = async (client: HelperClient) => (await client.call('vm.list', {})).vms.map((v) => v.definition.name);
const remoteVmsDir = () => join(hosts.helper!.stateDir, 'vms');
const localVmsDir = () => join(hosts.clientHelper!.stateDir, 'vms');
/** What a move left in the destination's VM folder: staging folders of arrivals. */
const arrivals = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('.arriving-')) : []);

async function createVm(name: string, extra: string[]): Promise<void> {
  novaOk(await hosts.nova(['vm', 'create', name, '--cpus', '1', '--memory', '192Mi', '--accel', 'tcg', '--display', 'none', '--kernel', guest.vmlinux, '--initrd', initrd, '--cmdline', guest.cmdline, ...extra]));
}

/** The guest's shell on the serial console of `client`'s helper, once it booted. */
async function shellOn(client: HelperClient, name: string): Promise<GuestSerial> {
  const info = await client.call('vm.consoleInfo', { name });
  await waitForLogText(info.serialLog, GUEST_READY_MARKER, 90_000);
  const serial = await GuestSerial.connect(info.serialSocket);
  await waitForShell(serial, GUEST_PROMPT);
  await serial.run('stty cols 1000', GUEST_PROMPT);
  return serial;
}

async function sectorText(serial: GuestSerial, sector: number, length: number): Promise<string> {
  return serial.run(`dd if=/dev/vda bs=512 skip=${sector} count=1 2>/dev/null | head -c ${length}; echo`, GUEST_PROMPT);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('nova vm migrate, a stopped VM', () => {
  it('moves cold: its overlay disk arrives flattened, it boots there with its data, nothing is left here', async () => {
    // A base image with data of its own, under the VM's qcow2 overlay (nova vm create --image links it).
    const baseImage = join(images, 'base.raw');
    await execa('truncate', ['-s', '64M', baseImage]);
    await writeFile(join(images, 'base-data'), BASE_DATA);
    await execa('dd', [`if=${join(images, 'base-data')}`, `of=${baseImage}`, 'bs=512', `seek=${BASE_SECTOR}`, 'conv=notrunc']);
    await createVm(VM, ['--image', baseImage]);
    novaOk(await hosts.nova(['vm', 'start', VM], { timeoutMs: 150_000 }));
    const serial = await shellOn(local, VM);
    try {
      await serial.run(`echo ${DATA} | dd of=/dev/vda bs=512 seek=${DATA_SECTOR} conv=fsync oflag=direct 2>/dev/null; sync`, GUEST_PROMPT);
    } finally {
      serial.close();
    }
    novaOk(await hosts.nova(['vm', 'stop', '--force', VM], { timeoutMs: 60_000 }));
    const sourceDisk = (await local.call('vm.get', { name: VM })).definition.disks[0]!.path;
    const backing = JSON.parse((await execa('qemu-img', ['info', '--output=json', '-U', sourceDisk])).stdout) as { 'backing-filename'?: string };
    expect(backing['backing-filename']).toBe(baseImage);

    // A snapshot lives inside the overlay, which the move flattens: refused, nothing made there.
    novaOk(await hosts.nova(['snapshot', 'vm', VM, '--name', 'inside']));
    const withSnapshot = await hosts.nova(['vm', 'migrate', VM, '--to', 'closet']);
    expect(withSnapshot.exitCode).toBe(1);
    expect(withSnapshot.stderr).toContain(`VM ${VM} cannot move to another host: it has 1 snapshot(s), and disk0 lies over a backing file, which a move flattens into one image without them: delete the snapshots first`);
    expect(arrivals(remoteVmsDir())).toEqual([]);
    novaOk(await hosts.nova(['snapshot', 'rm', 'vm', VM, 'inside']));

    const moved = await hosts.nova(['vm', 'migrate', VM, '--to', 'closet'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate (cold): ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    expect(novaOk(moved)).toMatch(new RegExp(`^moved ${VM} \\(stopped, cold\\) to closet in [0-9.]+ s: \\d+ file\\(s\\)`));
    expect(moved.stderr).toContain('stopped, so it moves cold');
    expect(moved.stderr).toContain('disk0 flattened with its backing file');
    expect(moved.stderr).toContain('copying to 10.217.7.2');

    // The destination has it, stopped, its disk one image without a backing file; the source has nothing of it.
    const there = await remote.call('vm.get', { name: VM });
    expect(there.state).toBe('stopped');
    const destDisk = join(remoteVmsDir(), VM, 'disk0.qcow2');
    expect(there.definition.disks[0]).toMatchObject({ path: destDisk, owned: true, format: 'qcow2' });
    const destInfo = JSON.parse((await execa('qemu-img', ['info', '--output=json', destDisk])).stdout) as { 'backing-filename'?: string };
    expect(destInfo['backing-filename']).toBeUndefined();
    expect(await vmNames(local)).not.toContain(VM);
    expect(existsSync(join(localVmsDir(), VM))).toBe(false);
    expect(existsSync(sourceDisk)).toBe(false);
    expect(existsSync(baseImage)).toBe(true);
    expect(arrivals(remoteVmsDir())).toEqual([]);

    // It boots there, and both the overlay's data and the base image's are on its disk.
    novaOk(await hosts.nova(['--host', 'closet', 'vm', 'start', VM], { timeoutMs: 150_000 }));
    expect(await qemuOfVm(VM, hosts.helper!.dir)).toHaveLength(1);
    const destSerial = await shellOn(remote, VM);
    try {
      expect(await sectorText(destSerial, DATA_SECTOR, DATA.length)).toContain(DATA);
      expect(await sectorText(destSerial, BASE_SECTOR, BASE_DATA.length)).toContain(BASE_DATA);
    } finally {
      destSerial.close();
    }

    // A running VM is not the cold path's: its offer refuses it, naming the live move.
    await expect(remote.call('vm.moveOffer', { name: VM })).rejects.toThrow(`VM ${VM} is running: a cold move takes a stopped VM (nova vm migrate moves a running one live)`);
    novaOk(await hosts.nova(['--host', 'closet', 'vm', 'rm', '--force', VM], { timeoutMs: 60_000 }));
  }, 600_000);
});

describe('a UEFI VM with a TPM', () => {
  it('moves cold with its NVRAM, TPM state and snapshot, byte for byte', async () => {
    novaOk(await hosts.nova(['vm', 'create', VM_FW, '--memory', '192Mi', '--accel', 'tcg', '--display', 'none', '--disk-size', '16Mi', '--firmware', 'uefi', '--tpm']));
    // A start makes the TPM's state (swtpm); the firmware writes its variables.
    novaOk(await hosts.nova(['vm', 'start', VM_FW], { timeoutMs: 150_000 }));
    novaOk(await hosts.nova(['vm', 'stop', '--force', VM_FW], { timeoutMs: 60_000 }));
    // A snapshot of its own disk comes along: inside the qcow2, its firmware state beside it.
    novaOk(await hosts.nova(['snapshot', 'vm', VM_FW, '--name', 'before-move']));
    const here = join(localVmsDir(), VM_FW);
    const tpmFiles = readdirSync(join(here, 'tpm')).filter((f) => statSync(join(here, 'tpm', f)).isFile());
    expect(tpmFiles.length).toBeGreaterThan(0);
    const state = async (dir: string) => ({
      nvram: await sha256(join(dir, 'OVMF_VARS.fd')),
      snapshotNvram: await sha256(join(dir, 'firmware-snapshots', 'before-move', 'OVMF_VARS.fd')),
      tpm: Object.fromEntries(await Promise.all(tpmFiles.map(async (f) => [f, await sha256(join(dir, 'tpm', f))]))),
    });
    const before = await state(here);

    const moved = await hosts.nova(['vm', 'migrate', VM_FW, '--to', 'closet', '--json'], { timeoutMs: 120_000 });
    const report = JSON.parse(novaOk(moved)) as { mode: string; vm: { state: string } };
    expect(report).toMatchObject({ mode: 'cold', vm: { state: 'stopped' } });
    expect(await state(join(remoteVmsDir(), VM_FW))).toEqual(before);
    expect((await remote.call('vm.get', { name: VM_FW })).definition).toMatchObject({ firmware: 'uefi', tpm: true });
    expect((await remote.call('vm.snapshotList', { name: VM_FW })).snapshots.map((x) => x.name)).toEqual(['before-move']);
    const there = join(remoteVmsDir(), VM_FW);
    expect((await execa('qemu-img', ['snapshot', '-l', join(there, 'disk0.qcow2')])).stdout).toContain('before-move');
    expect(existsSync(here)).toBe(false);
    novaOk(await hosts.nova(['--host', 'closet', 'vm', 'rm', VM_FW]));
  }, 300_000);
});

describe('nova capsule migrate', () => {
  it('moves a running capsule with --restart: its layer, volume and image go, it runs there', async () => {
    const rootfsTar = await makeBusyboxRootfs(base);
    const image = await local.call('ociImage.import', { path: rootfsTar, name: IMAGE });
    expect((await remote.call('ociImage.list', {})).images.map((i) => i.digest)).not.toContain(image.digest);
    const volume = join(volumes, CAPSULE);
    // The capsule's root may be another user of the host (a user namespace): its volume is open to it.
    await mkdir(volume, { mode: 0o777 });
    await chmod(volume, 0o777);
    await local.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '3600'], stopTimeoutSec: 1, volumes: [`${volume}:/data`] });
    await local.call('capsule.start', { name: CAPSULE });
    const written = await local.call('capsule.exec', { name: CAPSULE, command: ['sh', '-c', `mkdir -p /var/lib/app && echo nv7c-layer-${RUN} > /var/lib/app/state.txt && echo nv7c-volume-${RUN} > /data/vol.txt`] });
    expect(written).toMatchObject({ exitCode: 0, stderr: '' });

    // Running: refused with the way out, nothing moved.
    const refused = await hosts.nova(['capsule', 'migrate', CAPSULE, '--to', 'closet']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`Capsule "${CAPSULE}" is running: stop it first, or move it with --restart to stop it here and start it there`);
    expect((await local.call('capsule.get', { name: CAPSULE })).state).toBe('running');

    // The volume's path holds other files on the destination: refused there before anything is
    // made, and the capsule, stopped for the move, runs here again.
    await mkdir(join(remoteVolumes, CAPSULE));
    await writeFile(join(remoteVolumes, CAPSULE, 'theirs.txt'), 'not yours\n');
    const blocked = await hosts.nova(['capsule', 'migrate', CAPSULE, '--to', 'closet', '--restart'], { timeoutMs: 120_000 });
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain(`capsule ${CAPSULE}'s volume ${volume} already exists on this host and is not empty: move it away first`);
    expect((await local.call('capsule.get', { name: CAPSULE })).state).toBe('running');
    expect((await remote.call('capsule.list', {})).capsules.map((c) => c.name)).not.toContain(CAPSULE);
    expect(readdirSync(join(hosts.helper!.stateDir, 'capsules')).filter((f) => f.startsWith('.arriving-'))).toEqual([]);
    await rm(join(remoteVolumes, CAPSULE), { recursive: true });

    const moved = await hosts.nova(['capsule', 'migrate', CAPSULE, '--to', 'closet', '--restart'], { timeoutMs: 180_000 });
    console.log(`nova capsule migrate: ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    expect(novaOk(moved)).toMatch(new RegExp(`^moved ${CAPSULE} to closet in [0-9.]+ s: .*image included\\); running there`));
    expect(moved.stderr).toContain('is not on the destination: it is sent too');

    // It runs there with the file of its layer and its volume's content; the image arrived with the same digest.
    const there = await remote.call('capsule.get', { name: CAPSULE });
    expect(there.state).toBe('running');
    const read = await remote.call('capsule.exec', { name: CAPSULE, command: ['cat', '/var/lib/app/state.txt', '/data/vol.txt'] });
    expect(read.stdout).toBe(`nv7c-layer-${RUN}\nnv7c-volume-${RUN}\n`);
    expect((await remote.call('ociImage.list', {})).images.find((i) => i.digest === image.digest)?.name).toBe(image.name);
    expect(await readFile(join(remoteVolumes, CAPSULE, 'vol.txt'), 'utf8')).toBe(`nv7c-volume-${RUN}\n`);

    // Gone from the first host; its volume folder, the user's files, stays there.
    expect((await local.call('capsule.list', {})).capsules.map((c) => c.name)).not.toContain(CAPSULE);
    expect(existsSync(join(hosts.clientHelper!.stateDir, 'capsules', CAPSULE))).toBe(false);
    expect(await readFile(join(volume, 'vol.txt'), 'utf8')).toBe(`nv7c-volume-${RUN}\n`);
    expect(readdirSync(join(hosts.helper!.stateDir, 'capsules')).filter((f) => f.startsWith('.arriving-'))).toEqual([]);
    await remote.call('capsule.delete', { name: CAPSULE, force: true });
  }, 300_000);
});

describe('a cancelled cold move', () => {
  it('leaves the VM whole where it was, and nothing of it on the destination', async () => {
    await createVm(VM_CANCEL, ['--disk-size', '1Gi']);
    // 1 GiB of data in its disk, so the copy lasts long enough to be cancelled during it.
    const disk = (await local.call('vm.get', { name: VM_CANCEL })).definition.disks[0]!.path;
    const filled = join(images, 'filled.raw');
    await execa('dd', ['if=/dev/urandom', `of=${filled}`, 'bs=1M', 'count=1024'], { timeout: 120_000 });
    await execa('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'qcow2', filled, disk], { timeout: 120_000 });
    await rm(filled);
    const before = { size: (await stat(disk)).size, sha256: await sha256(disk) };

    const { process: sub, stderr: said } = await migrationUnderWay(hosts, VM_CANCEL, 'copying to');
    // Some of the disk is on the destination, in its staging folder.
    await waitFor(async () => {
      const staged = join(remoteVmsDir(), `.arriving-${VM_CANCEL}`, 'disk0.qcow2');
      return ((await stat(staged).catch(() => null))?.size ?? 0) > 0 || sub.exitCode !== null ? true : null;
    }, 30_000, 'the disk to start arriving');
    sub.kill('SIGINT');
    const r = await sub;
    console.log(`cancelled cold move: exit ${r.exitCode}\n${said()}`);
    expect(r.exitCode).toBe(1);
    expect(said()).toContain('cancelled at your request');

    // The source's VM is as it was: its definition, its disk byte for byte.
    expect((await local.call('vm.get', { name: VM_CANCEL })).state).toBe('stopped');
    expect({ size: (await stat(disk)).size, sha256: await sha256(disk) }).toEqual(before);
    expect(existsSync(join(localVmsDir(), VM_CANCEL, '.outgoing'))).toBe(false);
    // The destination has nothing of it.
    await waitFor(async () => (arrivals(remoteVmsDir()).length === 0 ? true : null), 10_000, 'the staging folder to go');
    expect(await vmNames(remote)).not.toContain(VM_CANCEL);
    expect(existsSync(join(remoteVmsDir(), VM_CANCEL))).toBe(false);
    novaOk(await hosts.nova(['vm', 'rm', VM_CANCEL]));
  }, 420_000);
});

describe('what cannot move is refused before anything is made', () => {
  it('a network the destination lacks', async () => {
    novaOk(await hosts.nova(['net', 'create', NET, '--type', 'bridge', '--profile', 'internal', '--subnet', '192.168.217.1/24', '--no-dhcp', '--no-dns']));
    await createVm(VM_NET, ['--disk-size', '16Mi', '--network', `nova:${NET}`]);
    const r = await hosts.nova(['vm', 'migrate', VM_NET, '--to', 'closet']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`VM ${VM_NET} is on network ${NET}, which this host does not have: create it here first`);
    expect(r.stderr).toContain('[failed_precondition]');
    expect(r.stderr).not.toContain('copying');
    expect((await local.call('vm.get', { name: VM_NET })).state).toBe('stopped');
    expect(await vmNames(remote)).not.toContain(VM_NET);
    expect(existsSync(join(remoteVmsDir(), VM_NET))).toBe(false);
    expect(arrivals(remoteVmsDir())).toEqual([]);
    novaOk(await hosts.nova(['vm', 'rm', VM_NET]));
    novaOk(await hosts.nova(['net', 'rm', NET]));
  }, 120_000);
});
