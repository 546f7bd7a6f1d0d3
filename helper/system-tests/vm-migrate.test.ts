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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { migrateVm } from '../../src-main/core/hosts/vm-migration.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { createAndStartBigDiskGuest, createAndStartGuest, migrationUnderWay, novaOk as ok, qemuOfVm as qemuOf, useMigrationTestBed } from './fixtures/migration-test-steps.js';
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

const bed = useMigrationTestBed({ prefix: 'nv6m', clientAddress: '10.216.6.1', serverAddress: '10.216.6.2', sshPort: 2236 });

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
    await createAndStartGuest(bed.hosts, bed.guest, bed.initrd, VM, ['--disk-size', '64Mi']);
    const serial = await shellOn(bed.local, VM);
    let sourceLog = '';
    try {
      await serial.run('stty cols 1000', GUEST_PROMPT);
      await serial.run(`echo ${DATA} | dd of=/dev/vda bs=512 seek=${DATA_SECTOR} conv=fsync oflag=direct 2>/dev/null; sync`, GUEST_PROMPT);
      await serial.send('(i=0; while true; do i=$((i+1)); echo "nv6m-count $i"; sleep 0.3; done) &');
      const info = await bed.local.call('vm.consoleInfo', { name: VM });
      sourceLog = await waitFor(async () => {
        const log = await readFile(info.serialLog, 'utf8');
        return counts(log).length >= 5 ? log : null;
      }, 60_000, 'the counter to reach 5 on the source');
    } finally {
      serial.close();
    }
    const beforeMove = Math.max(...counts(sourceLog));

    const moved = await bed.hosts.nova(['vm', 'migrate', VM, '--to', 'closet'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate: ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    expect(ok(moved)).toMatch(new RegExp(`^moved ${VM} to closet in [0-9.]+ s \\(paused \\d+ ms at the switch`));
    // Its phases were told as they came (stderr is no terminal here: a line per phase).
    expect(moved.stderr).toContain('copying the disks');
    expect(moved.stderr).toContain('copying the memory');

    // The destination runs it, the source has nothing of it.
    const there = await bed.remote.call('vm.get', { name: VM });
    expect(there.state).toBe('running');
    expect(there.definition.disks[0]?.path).toBe(join(bed.hosts.helper!.stateDir, 'vms', VM, 'disk0.qcow2'));
    const { vms } = await bed.local.call('vm.list', {});
    expect(vms.map((v) => v.definition.name)).not.toContain(VM);
    expect(await qemuOf(VM, bed.hosts.clientHelper!.dir)).toEqual([]);
    expect(await qemuOf(VM, bed.hosts.helper!.dir)).toHaveLength(1);
    expect(existsSync(join(bed.hosts.clientHelper!.stateDir, 'vms', VM))).toBe(false);

    // The counter goes on in the destination's own serial log, from where it was, and it never booted there.
    const destInfo = await bed.remote.call('vm.consoleInfo', { name: VM });
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
    const destSerial = await shellOn(bed.remote, VM, false);
    try {
      await destSerial.run('stty cols 1000', GUEST_PROMPT);
      const read = await destSerial.run(`dd if=/dev/vda bs=512 skip=${DATA_SECTOR} count=1 2>/dev/null | head -c ${DATA.length}; echo`, GUEST_PROMPT);
      expect(read).toContain(DATA);
    } finally {
      destSerial.close();
    }

    // And back, the other way round (the remote host the source, this one reached by --listen), with post-copy.
    const lastThere = Math.max(...counts(await readFile(destInfo.serialLog, 'utf8')));
    const back = await bed.hosts.nova(['vm', 'migrate', VM, '--from', 'closet', '--to', 'local', '--listen', bed.hosts.layout.clientAddress, '--postcopy'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate --postcopy back: ${back.ms} ms\n${back.stdout}${back.stderr}`);
    expect(ok(back)).toMatch(new RegExp(`^moved ${VM} to local in`));
    expect((await bed.local.call('vm.get', { name: VM })).state).toBe('running');
    expect((await bed.remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM);
    expect(await qemuOf(VM, bed.hosts.helper!.dir)).toEqual([]);
    const home = await bed.local.call('vm.consoleInfo', { name: VM });
    const homeLog = await waitFor(async () => {
      const log = await readFile(home.serialLog, 'utf8').catch(() => '');
      return counts(log).length >= 3 ? log : null;
    }, 60_000, 'the counter to go on back at the first host');
    expect(counts(homeLog)[0]).toBeGreaterThan(lastThere);
    expect(homeLog).not.toContain(GUEST_READY_MARKER);
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM]));
  }, 600_000);
});

describe('a cancelled migration', () => {
  it('leaves the guest running on the source, and nothing of it on the destination', async () => {
    // A disk with 1 GiB of data, so the copy lasts long enough to be cancelled halfway.
    await createAndStartBigDiskGuest(bed, VM_CANCEL);
    const { process: sub, stderr: stderrNow } = await migrationUnderWay(bed.hosts, VM_CANCEL);
    // Halfway: some of the disk is on the destination.
    await waitFor(async () => (existsSync(join(bed.hosts.helper!.stateDir, 'vms', VM_CANCEL)) ? true : null), 10_000, 'the destination folder');
    sub.kill('SIGINT');
    const r = await sub;
    const stderr = stderrNow();
    console.log(`cancelled migration: exit ${r.exitCode}\n${stderr}`);
    expect(r.exitCode).toBe(1);
    expect(stderr).toContain('cancelled at your request');

    const here = await bed.local.call('vm.get', { name: VM_CANCEL });
    expect(here.state).toBe('running');
    const status = await waitFor(async () => {
      const s = await bed.local.call('vm.get', { name: VM_CANCEL });
      return s.state === 'running' ? s : null;
    }, 10_000, 'the guest to run on at the source');
    expect(status.pid).not.toBeNull();
    // The guest still answers on its console.
    const serial = await shellOn(bed.local, VM_CANCEL, false);
    try {
      expect(await serial.run('echo nv6m-still-here', GUEST_PROMPT)).toContain('nv6m-still-here');
    } finally {
      serial.close();
    }
    const { vms } = await bed.remote.call('vm.list', {});
    expect(vms.map((v) => v.definition.name)).not.toContain(VM_CANCEL);
    expect(existsSync(join(bed.hosts.helper!.stateDir, 'vms', VM_CANCEL))).toBe(false);
    expect(await qemuOf(VM_CANCEL, bed.hosts.helper!.dir)).toEqual([]);
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_CANCEL]));
  }, 420_000);
});

describe('what cannot move is refused before anything moves', () => {
  it('a network the destination lacks', async () => {
    ok(await bed.hosts.nova(['net', 'create', NET, '--type', 'bridge', '--profile', 'internal', '--subnet', '192.168.216.1/24', '--no-dhcp', '--no-dns']));
    await createAndStartGuest(bed.hosts, bed.guest, bed.initrd, VM_NET, ['--network', `nova:${NET}`]);
    const r = await bed.hosts.nova(['vm', 'migrate', VM_NET, '--to', 'closet']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`VM ${VM_NET} is on network ${NET}, which this host does not have: create it here first`);
    expect(r.stderr).toContain('[failed_precondition]');
    expect(r.stderr).not.toContain('copying');
    expect((await bed.local.call('vm.get', { name: VM_NET })).state).toBe('running');
    expect((await bed.remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM_NET);
    expect(existsSync(join(bed.hosts.helper!.stateDir, 'vms', VM_NET))).toBe(false);
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_NET]));
  }, 240_000);

  it('a passed-through PCI device', async () => {
    ok(await bed.hosts.nova(['vm', 'create', VM_PCI, '--memory', '192Mi', '--accel', 'tcg', '--display', 'none', '--disk-size', '16Mi']));
    await bed.local.call('vm.update', { name: VM_PCI, devices: [{ op: 'pci.add', device: { address: '0000:01:00.0', policy: 'keep' } }] });
    const r = await bed.hosts.nova(['vm', 'migrate', VM_PCI, '--to', 'closet']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`VM ${VM_PCI} cannot move to another host: it has passed-through PCI devices (0000:01:00.0)`);
    expect((await bed.remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM_PCI);
    ok(await bed.hosts.nova(['vm', 'rm', VM_PCI]));
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
    await createAndStartGuest(bed.hosts, bed.guest, bed.initrd, VM_CPU, ['--disk-size', '16Mi']);
    const offer = await bed.local.call('vm.migrateOffer', { name: VM_CPU });
    // The guest's features as this host's QEMU expands its model (TCG: max).
    expect(offer.cpuFeatures).toContain('sse2');
    expect(offer.cpuFeatures).not.toContain('avx512f');

    const lacking = { ...offer, cpuFeatures: [...offer.cpuFeatures!, 'avx512f'] };
    await expect(bed.remote.call('vm.migrateIncoming', { offer: lacking, listen: bed.hosts.layout.serverAddress, postcopy: false })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining(`VM ${VM_CPU} uses CPU features this host's CPU lacks (avx512f)`),
    });
    expect(existsSync(join(bed.hosts.helper!.stateDir, 'vms', VM_CPU))).toBe(false);

    // A source whose CPU lacks one feature this host's has: the guest arrives without it.
    const dropped = offer.cpuFeatures!.includes('aes') ? 'aes' : offer.cpuFeatures!.at(-1)!;
    const fewer = { call: (async (method: string, params: unknown) => {
      const answer = await bed.local.call(method as 'vm.migrateOffer', params as { name: string });
      return method === 'vm.migrateOffer' ? { ...answer, cpuFeatures: answer.cpuFeatures!.filter((f) => f !== dropped) } : answer;
    }) as HelperClient['call'] };
    await migrateVm({ source: fewer, destination: bed.remote }, { name: VM_CPU, listen: bed.hosts.layout.serverAddress, postcopy: false });
    expect((await bed.remote.call('vm.get', { name: VM_CPU })).state).toBe('running');
    expect((await cpuOf(VM_CPU, bed.hosts.helper!.dir)).split(',')).toEqual(['max', `-${dropped}`]);

    // Moved on from there, it keeps the CPU it has: that host's offer states it without the feature.
    const back = await bed.remote.call('vm.migrateOffer', { name: VM_CPU });
    expect(back.cpuFeatures).not.toContain(dropped);
    await migrateVm({ source: bed.remote, destination: bed.local }, { name: VM_CPU, listen: bed.hosts.layout.clientAddress, postcopy: false });
    expect((await bed.local.call('vm.get', { name: VM_CPU })).state).toBe('running');
    expect((await cpuOf(VM_CPU, bed.hosts.clientHelper!.dir)).split(',')).toEqual(['max', `-${dropped}`]);
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_CPU]));
  }, 360_000);
});
