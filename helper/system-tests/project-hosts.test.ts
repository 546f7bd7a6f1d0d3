// A NovaFile project across two test hosts (network namespaces joined by a veth pair,
// each with its own helper; the second, "closet", reached over real OpenSSH), driven as a
// user drives it from the first: `nova up` makes the network on both hosts, the TCG VM on
// the first and the runc capsule (`host = "closet"`) on the second; `nova ps` names each
// one's host; the VM's `host` changed to closet while it runs moves it live (its serial
// counter goes on there, nothing of it is left here); `nova down --volumes` clears both
// hosts; `nova --host closet up` puts a project without host keys wholly on closet, and
// without --host again its capsule moves back here, cold, and runs here. Bad
// input: a host that is not saved is an error at its line and column, and an unreachable
// host fails the plan naming it and ssh's reason, with nothing applied anywhere.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { PsRow } from '../../src-main/core/project/project-ps.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { commandOf, processesMatching } from './fixtures/frozen-child.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { SshTestHosts } from './fixtures/ssh-test-hosts.js';
import { waitFor } from './fixtures/wait-for.js';
import { connectHelper, novaOk } from './fixtures/migration-test-steps.js';

const RUN = randomBytes(2).toString('hex');
const PROJECT = `nv7p-${RUN}`;
const NET = `nv7p${RUN}`;
const VM = `nv7p-vm-${RUN}`;
const CAPSULE = `nv7p-cap-${RUN}`;
/** The second project, placed wholly on closet by `nova --host closet up`. */
const PROJECT_B = `nv7p-b-${RUN}`;
const NET_B = `nv7pb${RUN}`;
const CAPSULE_B = `nv7p-capb-${RUN}`;
const IMAGE = `nv7p-busybox-${RUN}`;

let hosts: SshTestHosts;
let guest: TestGuest;
let local: HelperClient;
let remote: HelperClient;
/** The NovaFiles and the capsule image: a folder both helpers take files from. */
let dir = '';

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await mkdtemp(join(tmpdir(), 'nv7p-project-'));
  const layout = { prefix: 'nv7p', clientAddress: '10.217.8.1', serverAddress: '10.217.8.2', sshPort: 2248, clientHelper: true, allowedRoots: [dir] };
  hosts = await SshTestHosts.start(dirname(dirname(guest.vmlinux)), layout);
  local = await connectHelper(hosts.clientHelper!.socketPath);
  remote = await connectHelper(hosts.helper!.socketPath);
  const tar = await makeBusyboxRootfs(dir);
  await local.call('ociImage.import', { path: tar, name: IMAGE });
  await remote.call('ociImage.import', { path: tar, name: IMAGE });
  novaOk(await hosts.nova(['host', 'add', 'closet', hosts.url]));
}, 600_000);

afterAll(async () => {
  for (const client of [local, remote]) {
    if (!client) continue;
    for (const name of [VM]) await client.call('vm.delete', { name, force: true }).catch(() => undefined);
    for (const name of [CAPSULE, CAPSULE_B]) await client.call('capsule.delete', { name, force: true }).catch(() => undefined);
    for (const name of [NET, NET_B]) await client.call('network.delete', { name }).catch(() => undefined);
    client.close();
  }
  await hosts?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 180_000);

const novaFile = (name: string) => join(dir, `${name}.toml`);

async function writeProject(name: string, vmHost: string | null): Promise<string> {
  const file = novaFile(name);
  await writeFile(file, [
    `project = "${PROJECT}"`,
    '',
    `[network.${NET}]`,
    'subnet = "10.217.8.129/25"',
    '',
    `[vm.${VM}]`,
    `kernel = "${guest.vmlinux}"`,
    `initrd = "${guest.initrdAcpi}"`,
    `cmdline = "${guest.cmdline}"`,
    'memory = "192Mi"',
    'accel = "tcg"',
    'display = "none"',
    `network = "${NET}"`,
    ...(vmHost ? [`host = "${vmHost}"`] : []),
    '',
    `[capsule.${CAPSULE}]`,
    `capsule = "${IMAGE}"`,
    'command = ["sleep", "600"]',
    'memory = "64Mi"',
    `network = "${NET}"`,
    'host = "closet"',
    '',
  ].join('\n'));
  return file;
}

const names = async (client: HelperClient) => ({
  vms: (await client.call('vm.list', {})).vms.map((v) => v.definition.name),
  capsules: (await client.call('capsule.list', {})).capsules.map((c) => c.name),
  networks: (await client.call('network.list', {})).networks.map((n) => n.name),
});

const qemuOf = (name: string, helperDir: string) => processesMatching(commandOf('qemu-system-x86_64', `process=nova-vm-${name}`, helperDir));

/** The counter values printed so far in a serial log. */
function counts(log: string): number[] {
  return [...log.matchAll(/nv7p-count (\d+)/g)].map((m) => Number(m[1]));
}

describe('a NovaFile project across two hosts', () => {
  it('nova up places the network on both hosts, the VM here and the capsule on closet; nova ps names their hosts', async () => {
    const file = await writeProject('lab', null);
    const plan = JSON.parse(novaOk(await hosts.nova(['plan', '--json', '-f', file]))) as ProjectPlan;
    expect(plan.hosts).toEqual(['local', 'closet']);
    expect(plan.changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}`)).toEqual([
      `create network ${NET} on local`,
      `create network ${NET} on closet`,
      `create vm ${VM} on local`,
      `create capsule ${CAPSULE} on closet`,
    ]);
    const text = novaOk(await hosts.nova(['plan', '-f', file]));
    expect(text).toContain(`+ capsule ${CAPSULE} on closet`);

    const up = await hosts.nova(['up', '--yes', '-f', file], { timeoutMs: 240_000 });
    console.log(`nova up: ${up.ms} ms\n${up.stdout}${up.stderr}`);
    novaOk(up);
    const here = await names(local);
    const there = await names(remote);
    expect(here.networks).toContain(NET);
    expect(there.networks).toContain(NET);
    expect(here.vms).toContain(VM);
    expect(there.vms).not.toContain(VM);
    expect(there.capsules).toContain(CAPSULE);
    expect(here.capsules).not.toContain(CAPSULE);
    expect((await local.call('vm.get', { name: VM })).state).toBe('running');
    expect((await remote.call('capsule.get', { name: CAPSULE })).state).toBe('running');

    const ps = novaOk(await hosts.nova(['ps', '-f', file]));
    expect(ps.split('\n')[0]).toMatch(/^KIND\s+NAME\s+HOST\s+STATE\s+HEALTH\s+ADDRESS$/);
    expect(ps).toMatch(new RegExp(`^vm\\s+${VM}\\s+local\\s+running`, 'm'));
    expect(ps).toMatch(new RegExp(`^capsule\\s+${CAPSULE}\\s+closet\\s+running\\s+\\S+\\s+10\\.217\\.8\\.\\d+ on ${NET}`, 'm'));
    const rows = (JSON.parse(novaOk(await hosts.nova(['ps', '--json', '-f', file]))) as { resources: PsRow[] }).resources;
    expect(rows.map((r) => `${r.kind} ${r.name} ${r.host}`).sort()).toEqual(
      [`network ${NET} local`, `network ${NET} closet`, `vm ${VM} local`, `capsule ${CAPSULE} closet`].sort(),
    );
    // Applied again, nothing is left to do on either host.
    expect(novaOk(await hosts.nova(['plan', '-f', file]))).toContain('No changes');
  }, 300_000);

  it("moves the running VM live when its host becomes closet: its counter goes on there, nothing is left here", async () => {
    const info = await local.call('vm.consoleInfo', { name: VM });
    await waitForLogText(info.serialLog, GUEST_READY_MARKER, 90_000);
    const serial = await GuestSerial.connect(info.serialSocket);
    let sourceLog = '';
    try {
      await waitForShell(serial, GUEST_PROMPT);
      await serial.run('stty cols 1000', GUEST_PROMPT);
      await serial.send('(i=0; while true; do i=$((i+1)); echo "nv7p-count $i"; sleep 0.3; done) &');
      sourceLog = await waitFor(async () => {
        const log = await readFile(info.serialLog, 'utf8');
        return counts(log).length >= 5 ? log : null;
      }, 60_000, 'the counter to reach 5 here');
    } finally {
      serial.close();
    }
    const beforeMove = Math.max(...counts(sourceLog));

    const file = await writeProject('lab', 'closet');
    const plan = JSON.parse(novaOk(await hosts.nova(['plan', '--json', '-f', file]))) as ProjectPlan;
    expect(plan.changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}${c.from ? ` from ${c.from}` : ''}`)).toEqual([
      `move vm ${VM} on closet from local`,
      `delete network ${NET} on local`,
    ]);
    expect(novaOk(await hosts.nova(['plan', '-f', file]))).toContain(`> vm ${VM} from local to closet`);

    const up = await hosts.nova(['up', '--yes', '-f', file], { timeoutMs: 300_000 });
    console.log(`nova up (move): ${up.ms} ms\n${up.stdout}${up.stderr}`);
    expect(novaOk(up)).toContain(`vm ${VM}: moved`);
    expect(up.stdout).toContain(`network ${NET} on local: deleted`);

    const there = await remote.call('vm.get', { name: VM });
    expect(there.state).toBe('running');
    const here = await names(local);
    expect(here.vms).not.toContain(VM);
    expect(here.networks).not.toContain(NET);
    expect(await qemuOf(VM, hosts.clientHelper!.dir)).toEqual([]);
    expect(await qemuOf(VM, hosts.helper!.dir)).toHaveLength(1);
    expect(existsSync(join(hosts.clientHelper!.stateDir, 'vms', VM))).toBe(false);

    // The counter goes on in closet's serial log from where it was: the guest never booted there.
    const destInfo = await remote.call('vm.consoleInfo', { name: VM });
    const destLog = await waitFor(async () => {
      const log = await readFile(destInfo.serialLog, 'utf8').catch(() => '');
      return counts(log).length >= 3 ? log : null;
    }, 60_000, 'the counter to go on at closet');
    const after = counts(destLog);
    expect(after[0]).toBeGreaterThan(beforeMove);
    expect(after[0]! - beforeMove).toBeLessThan(200);
    expect(destLog).not.toContain(GUEST_READY_MARKER);

    const ps = novaOk(await hosts.nova(['ps', '-f', file]));
    expect(ps).toMatch(new RegExp(`^vm\\s+${VM}\\s+closet\\s+running`, 'm'));
    expect(novaOk(await hosts.nova(['plan', '-f', file]))).toContain('No changes');
  }, 420_000);

  it('nova down --volumes removes everything of the project on both hosts', async () => {
    const file = novaFile('lab');
    const down = await hosts.nova(['down', '--volumes', '-f', file], { timeoutMs: 180_000 });
    console.log(`nova down: ${down.ms} ms\n${down.stdout}${down.stderr}`);
    novaOk(down);
    for (const client of [local, remote]) {
      const left = await names(client);
      expect(left.vms).not.toContain(VM);
      expect(left.capsules).not.toContain(CAPSULE);
      expect(left.networks).not.toContain(NET);
    }
    expect(await qemuOf(VM, hosts.helper!.dir)).toEqual([]);
    const ps = novaOk(await hosts.nova(['ps', '-f', file]));
    expect(ps).toMatch(new RegExp(`^capsule\\s+${CAPSULE}\\s+closet\\s+absent`, 'm'));
  }, 240_000);

  it('nova --host closet up puts a project without host keys wholly on closet, and without --host its running capsule moves back cold', async () => {
    const file = novaFile('elsewhere');
    await writeFile(file, [
      `project = "${PROJECT_B}"`,
      `[network.${NET_B}]`,
      'subnet = "10.217.8.129/25"',
      `[capsule.${CAPSULE_B}]`,
      `capsule = "${IMAGE}"`,
      'command = ["sleep", "600"]',
      `network = "${NET_B}"`,
      '',
    ].join('\n'));
    const up = await hosts.nova(['--host', 'closet', 'up', '--yes', '-f', file], { timeoutMs: 180_000 });
    console.log(`nova --host closet up: ${up.ms} ms\n${up.stdout}${up.stderr}`);
    novaOk(up);
    const there = await names(remote);
    const here = await names(local);
    expect(there.capsules).toContain(CAPSULE_B);
    expect(there.networks).toContain(NET_B);
    expect(here.capsules).not.toContain(CAPSULE_B);
    expect(here.networks).not.toContain(NET_B);
    expect((await remote.call('capsule.get', { name: CAPSULE_B })).state).toBe('running');

    // Without --host its guests belong here: Nova remembers they run on closet and plans a
    // move, not a second copy; the running capsule moves back cold and runs here.
    const back = JSON.parse(novaOk(await hosts.nova(['plan', '--json', '-f', file]))) as ProjectPlan;
    expect(back.changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}${c.from ? ` from ${c.from}` : ''}`)).toEqual([
      `create network ${NET_B} on local`,
      `move capsule ${CAPSULE_B} on local from closet`,
      `delete network ${NET_B} on closet`,
    ]);
    const moved = await hosts.nova(['up', '--yes', '-f', file], { timeoutMs: 180_000 });
    console.log(`nova up (move back): ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    novaOk(moved);
    expect((await local.call('capsule.get', { name: CAPSULE_B })).state).toBe('running');
    expect((await names(remote)).capsules).not.toContain(CAPSULE_B);
    expect((await names(remote)).networks).not.toContain(NET_B);
    expect((await names(local)).networks).toContain(NET_B);
    expect(JSON.parse(novaOk(await hosts.nova(['plan', '--json', '-f', file]))).changes).toEqual([]);

    novaOk(await hosts.nova(['down', '--volumes', '-f', file], { timeoutMs: 120_000 }));
    expect((await names(local)).networks).not.toContain(NET_B);
    expect((await names(local)).capsules).not.toContain(CAPSULE_B);
  }, 420_000);
});

describe('bad input', () => {
  it('a host that is not saved is an error at its line and column', async () => {
    const file = await writeProject('typo', 'clozet');
    const r = await hosts.nova(['plan', '-f', file]);
    expect(r.exitCode).toBe(1);
    // The VM's host key is line 14; the value starts at column 8.
    expect(r.stderr).toContain(`${file}:14:8: error: vm.${VM}.host: host "clozet" is not a saved host; did you mean "closet"?`);
  });

  it('an unreachable host fails the plan naming it and ssh\'s reason, with nothing applied on any host', async () => {
    novaOk(await hosts.nova(['host', 'add', '--no-check', 'attic', `ssh://root@${hosts.layout.serverAddress}:2299`]));
    const file = novaFile('unreachable');
    await writeFile(file, [
      `project = "${PROJECT}"`,
      `[network.${NET}]`,
      'subnet = "10.217.8.129/25"',
      `[capsule.${CAPSULE}]`,
      `capsule = "${IMAGE}"`,
      'command = ["sleep", "600"]',
      `network = "${NET}"`,
      '',
      `[capsule.${CAPSULE_B}]`,
      `capsule = "${IMAGE}"`,
      'command = ["sleep", "600"]',
      'host = "attic"',
      '',
    ].join('\n'));
    const r = await hosts.nova(['up', '--yes', '-f', file], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('host attic: cannot read what it has');
    expect(r.stderr).toContain('Connection refused');
    expect(r.stderr).toContain('nothing was planned or applied');
    expect(r.ms).toBeLessThan(40_000);
    for (const client of [local, remote]) {
      const left = await names(client);
      expect(left.capsules).not.toContain(CAPSULE);
      expect(left.networks).not.toContain(NET);
    }
    novaOk(await hosts.nova(['host', 'rm', 'attic']));
  }, 90_000);
});
