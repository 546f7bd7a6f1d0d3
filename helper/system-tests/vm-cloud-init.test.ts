// The cloud-init NoCloud seed for real: genisoimage builds the ISO, isoinfo reads it
// back (label cidata, the three files with their exact text), and a VM with cloud_init
// starts with the seed attached as a read-only CD-ROM (seen through QMP query-block).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudInitSpecSchema } from '../../src-shared/vm.js';
import { silentLogger } from '../src/util/logger.js';
import { OperationManager } from '../src/operations/operation-manager.js';
import { buildSeedFiles, cloudInitDefinition, writeSeedIso } from '../src/vm/cloud-init-seed.js';
import { VmManager } from '../src/vm/vm-manager.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { pidsMentioning } from './network-harness.js';
import { vmSpec, vmUpdate } from './fixtures/contract-params.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dev@laptop';
let dir = '';
let guest: TestGuest;
let vms: VmManager | null = null;

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await mkdtemp(join(tmpdir(), 'nv3n-ci-'));
}, 600_000);

afterAll(async () => {
  await vms?.detachAll();
  for (const pid of await pidsMentioning(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function isoinfo(...args: string[]): Promise<string> {
  const r = await execa('isoinfo', args, { timeout: 15_000 });
  return r.stdout;
}

describe('a NoCloud seed ISO', () => {
  it('is labelled cidata and holds the generated files, byte for byte', async () => {
    const cloudInit = await cloudInitDefinition(
      CloudInitSpecSchema.parse({ hostname: 'web-1', user: 'dev', password: 's3cret', sshAuthorizedKeys: [KEY] }),
      null,
    );
    const files = buildSeedFiles({ vmName: 'nv3n-seed', cloudInit, nic: { mac: '02:11:22:33:44:55' } });
    const iso = join(dir, 'seed', 'cidata.iso');
    await mkdir(join(dir, 'seed'));
    await writeSeedIso(iso, files);

    expect(await isoinfo('-d', '-i', iso)).toMatch(/^Volume id: cidata$/m);
    const listing = await isoinfo('-R', '-f', '-i', iso);
    expect(listing.split('\n').sort()).toEqual(['/meta-data', '/network-config', '/user-data']);
    for (const name of ['user-data', 'meta-data', 'network-config'] as const) {
      expect(await isoinfo('-R', '-i', iso, '-x', `/${name}`)).toBe((files[name] ?? '').trimEnd());
    }
    const userData = await isoinfo('-R', '-i', iso, '-x', '/user-data');
    expect(userData).toContain(`passwd: "${cloudInit.passwordHash}"`);
    expect(userData).not.toContain('s3cret');
  });

  it('is attached read-only to a VM with cloud_init, and rebuilt at each start', async () => {
    vms = new VmManager({
      stateDir: join(dir, 'state'),
      runDir: join(dir, 'run'),
      allowedRoots: [dir, join(guest.vmlinux, '..')],
      hostAccelerator: async () => 'tcg',
      logger: silentLogger(),
      operations: new OperationManager({ logger: silentLogger(), emit: () => undefined }),
    });
    await vms.init();
    const name = 'nv3n-ci-vm';
    const created = await vms.create(vmSpec({
      name,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdPlain,
      cmdline: guest.cmdline,
      accel: 'tcg',
      display: 'none',
      network: 'user',
      cloudInit: { hostname: 'ci-guest', password: 'pw', sshAuthorizedKeys: [KEY] },
    }));
    expect(created.definition.cloudInit?.passwordHash).toMatch(/^\$6\$/);
    expect(JSON.stringify(created.definition)).not.toContain('"pw"');
    await vms.start(name);
    try {
      type Block = { device: string; qdev?: string; inserted?: { 'node-name'?: string; ro: boolean; file: string } };
      const blocks = await vms.qmpOf(name).execute<Block[]>('query-block');
      const seed = blocks.find((b) => b.inserted?.['node-name'] === 'seed0');
      expect(seed?.inserted).toMatchObject({ ro: true, file: join(dir, 'state', 'vms', name, 'cidata.iso') });
      const userData = await isoinfo('-R', '-i', join(dir, 'state', 'vms', name, 'cidata.iso'), '-x', '/user-data');
      expect(userData).toContain('hostname: "ci-guest"');
      // User-mode networking: the NIC is matched by name, since QEMU picks its MAC.
      expect(await isoinfo('-R', '-i', join(dir, 'state', 'vms', name, 'cidata.iso'), '-x', '/network-config')).toContain('name: "e*"');
    } finally {
      await vms.stop(name, { force: true });
    }
    // Changing the settings while stopped changes the seed (and its instance-id) on the next start.
    const before = await readFile(join(dir, 'state', 'vms', name, 'cidata', 'meta-data'), 'utf8');
    await vms.update(vmUpdate({ name, cloudInit: { hostname: 'renamed', sshAuthorizedKeys: [] } }));
    await vms.start(name);
    await vms.stop(name, { force: true });
    const after = await readFile(join(dir, 'state', 'vms', name, 'cidata', 'meta-data'), 'utf8');
    expect(after).toContain('local-hostname: "renamed"');
    expect(after.split('\n')[0]).not.toBe(before.split('\n')[0]);
    await vms.delete(name);
  });
});
