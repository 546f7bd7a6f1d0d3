// The VM device model through the NovaFile, against the real helper and QEMU (TCG):
// `nova up` makes a VM with a SATA boot disk, a further SCSI disk, a CD in cd1, a boot
// order and a MAC; `nova export` writes them and the exported file plans as no change;
// a changed disk bus plans as a restart and `nova up` applies it, after which the file
// plans as no change again and QEMU runs with the new bus.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { removeProjectTestState } from './fixtures/project-teardown.js';
import { makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { guestVmTable, runNovaCli } from './fixtures/nova-cli-run.js';

const RUN = randomBytes(3).toString('hex');
const VM = `nv11n-${RUN}-dev`;
const PROJECT = 'nv11n';
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
let guest: TestGuest;

const nova = (...args: string[]) => runNovaCli(helper?.socketPath ?? '', dir, args);

async function plan(file: string): Promise<ProjectPlan> {
  const json = await nova('plan', '-f', file, '--json');
  expect(json.stderr).toBe('');
  return JSON.parse(json.stdout) as ProjectPlan;
}

function novaFile(scsiBus: string): string {
  const devices = `disk_size = "64Mi"
disk_bus = "sata"
cdroms = ["./tools.iso"]
boot_order = ["disk0", "cd1"]

[[vm.${VM}.disk]]
size = "32Mi"
bus = "${scsiBus}"
cache = "none"
`;
  return `project = "${PROJECT}"\n\n${guestVmTable(guest, VM, devices)}`;
}

async function qemuArgv(): Promise<string[]> {
  const pid = (await client.call('vm.get', { name: VM })).pid;
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir(`nv11n-${RUN}`);
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'NV11N_TOOLS', '-o', join(dir, 'tools.iso'), guest.vmlinux], { timeout: 60_000 });
  helper = await startHelper(dir, { extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}, 600_000);

afterAll(() => removeProjectTestState(client, helper, dir, { vms: [VM], capsules: [], networks: [], netns: [] }), 120_000);

describe('the device model in a NovaFile', () => {
  it('is made by up, written by export, and the export plans as no change', async () => {
    await writeFile(join(dir, 'NovaFile.toml'), novaFile('scsi'));
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const def = (await client.call('vm.get', { name: VM })).definition;
    expect(def.disks.map((d) => [d.id, d.bus ?? 'virtio', d.cache ?? 'writeback'])).toEqual([
      ['disk0', 'sata', 'writeback'],
      ['disk1', 'scsi', 'none'],
    ]);
    expect({ cdroms: def.cdroms, bootOrder: def.bootOrder, nics: def.nics }).toEqual({ cdroms: [{ id: 'cd1', path: join(dir, 'tools.iso') }], bootOrder: ['disk0', 'cd1'], nics: [] });
    expect(await qemuArgv()).toEqual(expect.arrayContaining(['ide-hd,drive=disk0,id=disk0-dev,bus=sata0.0,bootindex=1', 'scsi-hd,drive=disk1,id=disk1-dev,bus=scsi0.0,scsi-id=0,lun=0', 'ide-cd,drive=cd1,id=cd1-dev,bus=ide.2,bootindex=2']));

    const exported = await nova('export', '--project', PROJECT);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`disk_bus = "sata"\ncdroms = [ "${join(dir, 'tools.iso')}" ]\nboot_order = [ "disk0", "cd1" ]\n`);
    expect(exported.stdout).toContain(`[[vm.${VM}.disk]]\npath = "${def.disks[1]!.path}"\nbus = "scsi"\ncache = "none"\n`);
    await writeFile(join(dir, 'exported.toml'), exported.stdout);
    expect((await plan('exported.toml')).changes).toEqual([]);
    const exit = await nova('plan', '-f', 'exported.toml', '--exit-code');
    expect(exit.status, exit.stdout).toBe(0);
  }, 300_000);

  it('plans a changed disk bus as a restart, and up applies it', async () => {
    await writeFile(join(dir, 'NovaFile.toml'), novaFile('sata'));
    const changes = (await plan('NovaFile.toml')).changes;
    expect(changes.flatMap((c) => c.fields.map((f) => [f.field, f.old, f.new, f.class]))).toEqual([['disks', 'disk1 scsi none', 'disk1 sata none', 'restart']]);
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect((await plan('NovaFile.toml')).changes).toEqual([]);
    expect(await qemuArgv()).toContain('ide-hd,drive=disk1,id=disk1-dev,bus=sata0.1');
  }, 300_000);
});
