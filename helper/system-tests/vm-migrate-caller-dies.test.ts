// A live migration whose caller goes away, between two test hosts of its own (network
// namespaces, the second reached over real OpenSSH, a helper on each). `nova vm migrate`
// killed with SIGKILL while the disks are copied: the destination discards the arriving
// VM (no QEMU, folder or listening port of it) and the guest runs on at the source, its
// serial counter going on. A caller gone after the send completed but before finish: the
// destination discards its copy and the source resumes the guest it held paused. An
// arrival that no data reaches is discarded after the (shortened) idle bound.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { connectHelper as connect, createAndStartBigDiskGuest, createAndStartGuest, migrationUnderWay, novaOk as ok, qemuOfVm as qemuOf, useMigrationTestBed } from './fixtures/migration-test-steps.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(2).toString('hex');
const VM_KILLED = `nv7n-killed-${RUN}`;
const VM_SENT = `nv7n-sent-${RUN}`;
const VM_IDLE = `nv7n-idle-${RUN}`;
/** The destination's idle bound in this test: long enough for no real migration step here to reach it. */
const IDLE_MS = 8_000;

const bed = useMigrationTestBed({
    prefix: 'nv7n',
    clientAddress: '10.217.10.1',
    serverAddress: '10.217.10.2',
    sshPort: 2250,
    helperEnv: { NOVA_INCOMING_MIGRATION_IDLE_MS: String(IDLE_MS) },
  });

/** Starts a counter on the guest's serial console; resolves once it has counted a few. */
async function startCounter(name: string): Promise<string> {
  const info = await bed.local.call('vm.consoleInfo', { name });
  await waitForLogText(info.serialLog, GUEST_READY_MARKER, 90_000);
  const serial = await GuestSerial.connect(info.serialSocket);
  try {
    await waitForShell(serial, GUEST_PROMPT);
    await serial.run('stty cols 1000', GUEST_PROMPT);
    await serial.send('(i=0; while true; do i=$((i+1)); echo "nv7n-count $i"; sleep 0.3; done) &');
    // Open until the guest has read it all: QEMU drops what the guest's UART had not taken yet when the socket closes.
    await waitFor(async () => (counts(await readFile(info.serialLog, 'utf8')).length >= 3 ? true : null), 60_000, 'the counter to start');
  } finally {
    serial.close();
  }
  return info.serialLog;
}

function counts(log: string): number[] {
  return [...log.matchAll(/nv7n-count (\d+)/g)].map((m) => Number(m[1]));
}

/** The guest runs at the source: its state says so, and its counter passes `past`. */
async function expectRunningAtSource(name: string, serialLog: string, past: number): Promise<void> {
  await waitFor(async () => ((await bed.local.call('vm.get', { name })).state === 'running' ? true : null), 30_000, `${name} to run at the source`);
  await waitFor(async () => (Math.max(0, ...counts(await readFile(serialLog, 'utf8'))) > past + 3 ? true : null), 30_000, `the counter of ${name} to go on past ${past}`);
}

/** Nothing of the VM is left on the destination: no record, no QEMU, no folder. */
async function expectGoneFromDestination(name: string, boundMs: number): Promise<void> {
  await waitFor(async () => ((await qemuOf(name, bed.hosts.helper!.dir)).length === 0 && !existsSync(join(bed.hosts.helper!.stateDir, 'vms', name)) ? true : null), boundMs, `${name} to be discarded at the destination`);
  expect((await bed.remote.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(name);
}

async function listeningPorts(): Promise<number[]> {
  const r = await execa('ip', ['netns', 'exec', bed.hosts.serverNs, 'ss', '-ltnH'], { timeout: 10_000 });
  return [...r.stdout.matchAll(/:(\d+)\s/g)].map((m) => Number(m[1]));
}

describe('the caller of a migration dies', () => {
  it('killed while the disks are copied: the destination discards everything it made, the guest runs on at the source', async () => {
    // A disk of 1 GiB of data, so the copy lasts long enough to kill the caller during it.
    await createAndStartBigDiskGuest(bed, VM_KILLED);
    const serialLog = await startCounter(VM_KILLED);
    const { process: sub, stderr: stderrNow } = await migrationUnderWay(bed.hosts, VM_KILLED);
    const stderr = stderrNow();
    const ports = /memory port (\d+), disks port (\d+)/.exec(stderr);
    expect(ports, stderr).not.toBeNull();
    const [migrationPort, nbdPort] = [Number(ports![1]), Number(ports![2])];
    expect(await listeningPorts()).toEqual(expect.arrayContaining([migrationPort, nbdPort]));
    const atKill = Math.max(0, ...counts(await readFile(serialLog, 'utf8')));
    sub.kill('SIGKILL');
    const r = await sub;
    expect(r.signal).toBe('SIGKILL');

    // Well within the idle bound: it is the caller's connection closing that discards it.
    await expectGoneFromDestination(VM_KILLED, IDLE_MS - 2_000);
    const left = await listeningPorts();
    expect(left).not.toContain(migrationPort);
    expect(left).not.toContain(nbdPort);
    await expectRunningAtSource(VM_KILLED, serialLog, atKill);
    const moves = await bed.local.call('operation.list', { resource: { kind: 'vm', name: VM_KILLED }, state: 'all' });
    expect(moves.operations.find((o) => o.kind === 'vm.migrateSend')?.state).toBe('cancelled');
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_KILLED]));
  }, 420_000);

  it('gone after the send completed, before finish: the destination discards its copy, the source resumes the guest', async () => {
    await createAndStartGuest(bed.hosts, bed.guest, bed.initrd, VM_SENT, ['--disk-size', '16Mi']);
    const serialLog = await startCounter(VM_SENT);
    const source = await connect(bed.hosts.clientHelper!.socketPath);
    const destination = await connect(bed.hosts.helper!.socketPath);
    let atSend = 0;
    try {
      const offer = await source.call('vm.migrateOffer', { name: VM_SENT });
      const incoming = await destination.call('vm.migrateIncoming', { offer, listen: bed.hosts.layout.serverAddress, postcopy: false });
      atSend = Math.max(0, ...counts(await readFile(serialLog, 'utf8')));
      await source.call('vm.migrateSend', { name: VM_SENT, to: { host: bed.hosts.layout.serverAddress, ...incoming }, postcopy: false });
      // The memory is all there and the guest is paused at the source, as between send and finish.
      expect((await bed.local.call('vm.get', { name: VM_SENT })).state).toBe('paused');
      expect(await qemuOf(VM_SENT, bed.hosts.helper!.dir)).toHaveLength(1);
    } finally {
      source.close();
      destination.close();
    }
    await expectGoneFromDestination(VM_SENT, IDLE_MS - 2_000);
    await expectRunningAtSource(VM_SENT, serialLog, atSend);
    const log = await readFile(serialLog, 'utf8');
    expect(log.split(GUEST_READY_MARKER)).toHaveLength(2);
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_SENT]));
  }, 420_000);

  it('an arrival no data reaches is discarded after the idle bound, though its caller stays connected', async () => {
    await createAndStartGuest(bed.hosts, bed.guest, bed.initrd, VM_IDLE, ['--disk-size', '16Mi']);
    const destination = await connect(bed.hosts.helper!.socketPath);
    try {
      const offer = await bed.local.call('vm.migrateOffer', { name: VM_IDLE });
      const started = Date.now();
      await destination.call('vm.migrateIncoming', { offer, listen: bed.hosts.layout.serverAddress, postcopy: false });
      expect(await qemuOf(VM_IDLE, bed.hosts.helper!.dir)).toHaveLength(1);
      await expectGoneFromDestination(VM_IDLE, IDLE_MS + 15_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS);
      // The caller learns it when it comes back to finish.
      await expect(destination.call('vm.migrateFinish', { name: VM_IDLE })).rejects.toThrow(/not arriving by migration|not_found|does not exist/);
    } finally {
      destination.close();
    }
    expect((await bed.local.call('vm.get', { name: VM_IDLE })).state).toBe('running');
    ok(await bed.hosts.nova(['vm', 'rm', '--force', VM_IDLE]));
  }, 300_000);
});
