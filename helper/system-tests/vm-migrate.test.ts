// Live migration between two test hosts (network namespaces joined by a veth pair, each
// with its own helper; the second reached over real OpenSSH), driven as a user drives it:
// `nova vm migrate VM --to closet` on the first. A TCG guest with a qcow2 disk and a
// counter on its serial console moves: the counter goes on in the destination's serial
// log without a boot, the data written before the move is read back there, and the first
// host has no QEMU, disk or folder of it left. A cancelled migration leaves the guest
// running where it was and nothing on the destination; a missing network, a passed
// device and a CPU feature the destination lacks are refused before anything moves, and a
// feature only the destination has is hidden from the guest that arrives.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { migrateVm } from '../../src-main/core/hosts/vm-migration.js';
import { CLI_BUNDLE } from './helper-harness.js';
import { ensureDiskInitrd } from './fixtures/disk-guest.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { commandOf, processesMatching } from './fixtures/frozen-child.js';
import { SshTestHosts, type NovaRun } from './fixtures/ssh-test-hosts.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(2).toString('hex');
const VM = `nv6m-live-${RUN}`;
const VM_CANCEL = `nv6m-cancel-${RUN}`;
const VM_NET = `nv6m-net-${RUN}`;
const VM_PCI = `nv6m-pci-${RUN}`;
const VM_CPU = `nv6m-cpu-${RUN}`;
const NET = `nv6m-lan${RUN}`;
const DATA = `nv6m-disk-data-${RUN}`;
/** Where in the disk the guest writes DATA (in 512-byte sectors): beyond anything a header would use. */
const DATA_SECTOR = 4096;

let hosts: SshTestHosts;
let guest: TestGuest;
let initrd: string;
let local: HelperClient;
let remote: HelperClient;
/** The test's disk images: a folder both helpers take files from. */
let images = '';

beforeAll(async () => {
  guest = await ensureTestGuest();
  initrd = await ensureDiskInitrd(guest);
  images = await mkdtemp(join(tmpdir(), 'nv6m-images-'));
  // The kernel and the disk initrd lie in sibling folders of the guest cache.
  const layout = { prefix: 'nv6m', clientAddress: '10.216.6.1', serverAddress: '10.216.6.2', sshPort: 2236, clientHelper: true, allowedRoots: [images] };
  hosts = await SshTestHosts.start(dirname(dirname(guest.vmlinux)), layout);
  local = await connect(hosts.clientHelper!.socketPath);
  remote = await connect(hosts.helper!.socketPath);
  ok(await hosts.nova(['host', 'add', 'closet', hosts.url]));
}, 600_000);

afterAll(async () => {
  local?.close();
  remote?.close();
  await hosts?.cleanup();
  if (images) await rm(images, { recursive: true, force: true });
});

async function connect(socketPath: string): Promise<HelperClient> {
  const client = new HelperClient({ socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  return client;
}

function ok(r: NovaRun): string {
  if (r.exitCode !== 0) throw new Error(`nova exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

const qemuOf = (name: string, helperDir: string) => processesMatching(commandOf('qemu-system-x86_64', `process=nova-vm-${name}`, helperDir));

async function createAndStart(name: string, extra: string[] = []): Promise<void> {
  ok(await hosts.nova(['vm', 'create', name, '--cpus', '1', '--memory', '192Mi', '--accel', 'tcg', '--display', 'none', '--kernel', guest.vmlinux, '--initrd', initrd, '--cmdline', guest.cmdline, ...extra]));
  ok(await hosts.nova(['vm', 'start', name], { timeoutMs: 150_000 }));
}

/** The guest's shell on the serial console of `client`'s helper. */
async function shellOn(client: HelperClient, name: string, booted = true): Promise<GuestSerial> {
  const info = await client.call('vm.consoleInfo', { name });
  if (booted) await waitForLogText(info.serialLog, GUEST_READY_MARKER, 90_000);
  const serial = await GuestSerial.connect(info.serialSocket);
  await waitForShell(serial, GUEST_PROMPT);
  return serial;
}

/** The counter values printed so far in a serial log. */
function counts(log: string): number[] {
  return [...log.matchAll(/nv6m-count (\d+)/g)].map((m) => Number(m[1]));
}

describe('nova vm migrate, live', () => {
  it('moves a running guest: its counter goes on at the destination without a boot, its disk data is there, nothing is left at the source', async () => {
    await createAndStart(VM, ['--disk-size', '64Mi']);
    const serial = await shellOn(local, VM);
    let sourceLog = '';
    try {
      await serial.run('stty cols 1000', GUEST_PROMPT);
      await serial.run(`echo ${DATA} | dd of=/dev/vda bs=512 seek=${DATA_SECTOR} conv=fsync oflag=direct 2>/dev/null; sync`, GUEST_PROMPT);
      await serial.send('(i=0; while true; do i=$((i+1)); echo "nv6m-count $i"; sleep 0.3; done) &');
      const info = await local.call('vm.consoleInfo', { name: VM });
      sourceLog = await waitFor(async () => {
        const log = await readFile(info.serialLog, 'utf8');
        return counts(log).length >= 5 ? log : null;
      }, 60_000, 'the counter to reach 5 on the source');
    } finally {
      serial.close();
    }
    const beforeMove = Math.max(...counts(sourceLog));

    const moved = await hosts.nova(['vm', 'migrate', VM, '--to', 'closet'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate: ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    expect(ok(moved)).toMatch(new RegExp(`^moved ${VM} to closet in [0-9.]+ s \\(paused \\d+ ms at the switch`));
    // Its phases were told as they came (stderr is no terminal here: a line per phase).
    expect(moved.stderr).toContain('copying the disks');
    expect(moved.stderr).toContain('copying the memory');

    // The destination runs it, the source has nothing of it.
    const there = await remote.call('vm.get', { name: VM });
    expect(there.state).toBe('running');
    expect(there.definition.disks[0]?.path).toBe(join(hosts.helper!.stateDir, 'vms', VM, 'disk0.qcow2'));
    const { vms } = await local.call('vm.list', {});
    expect(vms.map((v) => v.definition.name)).not.toContain(VM);
    expect(await qemuOf(VM, hosts.clientHelper!.dir)).toEqual([]);
    expect(await qemuOf(VM, hosts.helper!.dir)).toHaveLength(1);
    expect(existsSync(join(hosts.clientHelper!.stateDir, 'vms', VM))).toBe(false);

    // The counter goes on in the destination's own serial log, from where it was, and it never booted there.
    const destInfo = await remote.call('vm.consoleInfo', { name: VM });
    const destLog = await waitFor(async () => {
      const log = await readFile(destInfo.serialLog, 'utf8').catch(() => '');
      const seen = counts(log);
      return seen.length >= 3 ? log : null;
    }, 60_000, 'the counter to go on at the destination');
    const after = counts(destLog);
    expect(after[0]).toBeGreaterThan(beforeMove);
    expect(after[0]! - beforeMove).toBeLessThan(200);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(destLog).not.toContain(GUEST_READY_MARKER);
    expect(destLog).not.toContain('Linux version');

    // The data written before the move is on the destination's disk.
    const destSerial = await shellOn(remote, VM, false);
    try {
      await destSerial.run('stty cols 1000', GUEST_PROMPT);
      const read = await destSerial.run(`dd if=/dev/vda bs=512 skip=${DATA_SECTOR} count=1 2>/dev/null | head -c ${DATA.length}; echo`, GUEST_PROMPT);
      expect(read).toContain(DATA);
    } finally {
      destSerial.close();
    }

    // And back, the other way round (the remote host the source, this one reached by --listen), with post-copy.
    const lastThere = Math.max(...counts(await readFile(destInfo.serialLog, 'utf8')));
    const back = await hosts.nova(['vm', 'migrate', VM, '--from', 'closet', '--to', 'local', '--listen', hosts.layout.clientAddress, '--postcopy'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate --postcopy back: ${back.ms} ms\n${back.stdout}${back.stderr}`);
    expect(ok(back)).toMatch(new RegExp(`^moved ${VM} to local in`));
    expect((await local.call('vm.get', { name: VM })).state).toBe('running');
    expect((await remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM);
    expect(await qemuOf(VM, hosts.helper!.dir)).toEqual([]);
    const home = await local.call('vm.consoleInfo', { name: VM });
    const homeLog = await waitFor(async () => {
      const log = await readFile(home.serialLog, 'utf8').catch(() => '');
      return counts(log).length >= 3 ? log : null;
    }, 60_000, 'the counter to go on back at the first host');
    expect(counts(homeLog)[0]).toBeGreaterThan(lastThere);
    expect(homeLog).not.toContain(GUEST_READY_MARKER);
    ok(await hosts.nova(['vm', 'rm', '--force', VM]));
  }, 600_000);
});

describe('a cancelled migration', () => {
  it('leaves the guest running on the source, and nothing of it on the destination', async () => {
    // A disk with 1 GiB of data, so the copy lasts long enough to be cancelled halfway.
    const image = join(images, 'filled.raw');
    await execa('sh', ['-c', `head -c 1073741824 /dev/urandom > ${image}`], { timeout: 120_000 });
    await createAndStart(VM_CANCEL, ['--image', image]);
    const sub = execa('ip', ['netns', 'exec', hosts.clientNs, process.execPath, CLI_BUNDLE, 'vm', 'migrate', VM_CANCEL, '--to', 'closet'], {
      reject: false,
      timeout: 180_000,
      env: { XDG_CONFIG_HOME: join(hosts.dir, 'config'), NOVA_SSH_CONFIG: hosts.sshConfig, NOVA_SOCKET: hosts.clientHelper!.socketPath },
    });
    let stderr = '';
    sub.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('copying the disks') || sub.exitCode !== null, 120_000, 'the disk copy to begin');
    // Halfway: some of the disk is on the destination.
    await waitFor(async () => (existsSync(join(hosts.helper!.stateDir, 'vms', VM_CANCEL)) ? true : null), 10_000, 'the destination folder');
    sub.kill('SIGINT');
    const r = await sub;
    console.log(`cancelled migration: exit ${r.exitCode}\n${stderr}`);
    expect(r.exitCode).toBe(1);
    expect(stderr).toContain('cancelled at your request');

    const here = await local.call('vm.get', { name: VM_CANCEL });
    expect(here.state).toBe('running');
    const status = await waitFor(async () => {
      const s = await local.call('vm.get', { name: VM_CANCEL });
      return s.state === 'running' ? s : null;
    }, 10_000, 'the guest to run on at the source');
    expect(status.pid).not.toBeNull();
    // The guest still answers on its console.
    const serial = await shellOn(local, VM_CANCEL, false);
    try {
      expect(await serial.run('echo nv6m-still-here', GUEST_PROMPT)).toContain('nv6m-still-here');
    } finally {
      serial.close();
    }
    const { vms } = await remote.call('vm.list', {});
    expect(vms.map((v) => v.definition.name)).not.toContain(VM_CANCEL);
    expect(existsSync(join(hosts.helper!.stateDir, 'vms', VM_CANCEL))).toBe(false);
    expect(await qemuOf(VM_CANCEL, hosts.helper!.dir)).toEqual([]);
    ok(await hosts.nova(['vm', 'rm', '--force', VM_CANCEL]));
  }, 420_000);
});

describe('what cannot move is refused before anything moves', () => {
  it('a network the destination lacks', async () => {
    ok(await hosts.nova(['net', 'create', NET, '--type', 'bridge', '--profile', 'internal', '--subnet', '192.168.216.1/24', '--no-dhcp', '--no-dns']));
    await createAndStart(VM_NET, ['--network', `nova:${NET}`]);
    const r = await hosts.nova(['vm', 'migrate', VM_NET, '--to', 'closet']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`VM ${VM_NET} is on network ${NET}, which this host does not have: create it here first`);
    expect(r.stderr).toContain('[failed_precondition]');
    expect(r.stderr).not.toContain('copying');
    expect((await local.call('vm.get', { name: VM_NET })).state).toBe('running');
    expect((await remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM_NET);
    expect(existsSync(join(hosts.helper!.stateDir, 'vms', VM_NET))).toBe(false);
    ok(await hosts.nova(['vm', 'rm', '--force', VM_NET]));
  }, 240_000);

  it('a passed-through PCI device', async () => {
    ok(await hosts.nova(['vm', 'create', VM_PCI, '--memory', '192Mi', '--accel', 'tcg', '--display', 'none', '--disk-size', '16Mi']));
    await local.call('vm.update', { name: VM_PCI, devices: [{ op: 'pci.add', device: { address: '0000:01:00.0', policy: 'keep' } }] });
    const r = await hosts.nova(['vm', 'migrate', VM_PCI, '--to', 'closet']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`VM ${VM_PCI} cannot move to another host: it has passed-through PCI devices (0000:01:00.0)`);
    expect((await remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM_PCI);
    ok(await hosts.nova(['vm', 'rm', VM_PCI]));
  }, 120_000);
});

describe('the CPU the guest sees', () => {
  /** The `-cpu` value of the VM's QEMU on the helper whose folder is `helperDir`. */
  async function cpuOf(name: string, helperDir: string): Promise<string> {
    const [pid] = await qemuOf(name, helperDir);
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return argv[argv.indexOf('-cpu') + 1] ?? '';
  }

  it('refuses a feature the destination lacks before anything is made, and turns off there what only the destination has, both ways', async () => {
    await createAndStart(VM_CPU, ['--disk-size', '16Mi']);
    const offer = await local.call('vm.migrateOffer', { name: VM_CPU });
    // The guest's features as this host's QEMU expands its model (TCG: max).
    expect(offer.cpuFeatures).toContain('sse2');
    expect(offer.cpuFeatures).not.toContain('avx512f');

    const lacking = { ...offer, cpuFeatures: [...offer.cpuFeatures!, 'avx512f'] };
    await expect(remote.call('vm.migrateIncoming', { offer: lacking, listen: hosts.layout.serverAddress, postcopy: false })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining(`VM ${VM_CPU} uses CPU features this host's CPU lacks (avx512f)`),
    });
    expect(existsSync(join(hosts.helper!.stateDir, 'vms', VM_CPU))).toBe(false);

    // A source whose CPU lacks one feature this host's has: the guest arrives without it.
    const dropped = offer.cpuFeatures!.includes('aes') ? 'aes' : offer.cpuFeatures!.at(-1)!;
    const fewer = { call: (async (method: string, params: unknown) => {
      const answer = await local.call(method as 'vm.migrateOffer', params as { name: string });
      return method === 'vm.migrateOffer' ? { ...answer, cpuFeatures: answer.cpuFeatures!.filter((f) => f !== dropped) } : answer;
    }) as HelperClient['call'] };
    await migrateVm({ source: fewer, destination: remote }, { name: VM_CPU, listen: hosts.layout.serverAddress, postcopy: false });
    expect((await remote.call('vm.get', { name: VM_CPU })).state).toBe('running');
    expect((await cpuOf(VM_CPU, hosts.helper!.dir)).split(',')).toEqual(['max', `-${dropped}`]);

    // Moved on from there, it keeps the CPU it has: that host's offer states it without the feature.
    const back = await remote.call('vm.migrateOffer', { name: VM_CPU });
    expect(back.cpuFeatures).not.toContain(dropped);
    await migrateVm({ source: remote, destination: local }, { name: VM_CPU, listen: hosts.layout.clientAddress, postcopy: false });
    expect((await local.call('vm.get', { name: VM_CPU })).state).toBe('running');
    expect((await cpuOf(VM_CPU, hosts.clientHelper!.dir)).split(',')).toEqual(['max', `-${dropped}`]);
    ok(await hosts.nova(['vm', 'rm', '--force', VM_CPU]));
  }, 360_000);
});
