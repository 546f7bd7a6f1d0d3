// The demo a new user is offered: `nova up` of examples/hello as written makes its
// guest kernel, initramfs and capsule image from Debian packages ([assets]), then
// brings up the VM (its serial console prints the ready line and a DHCP lease from the
// demo network), the capsule (serving its page on that network) and the NAT network;
// `nova down --volumes` leaves none of them. The file is copied with every name
// prefixed, so this run's resources carry nv13d; the asset cache is the tests' own.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PsRow } from '../../src-main/core/project/project-ps.js';
import { BUSYBOX_GUEST_READY } from '../../src-main/core/assets/project-assets.js';
import { copyDemo, type DemoCopy } from './fixtures/demo-copy.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { novaIn, startProjectLab, stopProjectLab, type ProjectLab } from './fixtures/project-lab.js';
import { waitFor } from './fixtures/wait-for.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const P = `nv13d-${RUN}`;
const NS = `nv13d${RUN}`;
let lab: ProjectLab | null = null;
let demo: DemoCopy;

const nova = (...args: string[]) => novaIn(lab, ...args);

beforeAll(async () => {
  lab = await startProjectLab(P, NS, `${P}-unused`);
  // The lab's helper reads kernels and archives under this cache (--allowed-root); kept across runs.
  process.env.NOVA_ASSET_CACHE = '/var/cache/nova-test-guest/assets';
  demo = await copyDemo(join(lab.dir, 'hello'), P, parseInt(RUN.slice(0, 2), 16) % 250);
}, 600_000);

afterAll(async () => {
  delete process.env.NOVA_ASSET_CACHE;
  await stopProjectLab(lab, NS, demo ? { vms: [demo.vm], capsules: [demo.capsule], networks: [demo.network] } : { vms: [], capsules: [], networks: [] });
}, 180_000);

describe('the demo project (examples/hello)', () => {
  it('comes up as written: the VM prints its ready line and a lease, the capsule serves its page, the network exists', async () => {
    const up = await nova('up', '-f', demo.file, '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain('Applied 3 change(s).');
    const client = lab!.client;
    expect((await client.call('vm.get', { name: demo.vm })).state).toBe('running');
    const { serialLog } = await client.call('vm.consoleInfo', { name: demo.vm });
    await waitForLogText(serialLog, BUSYBOX_GUEST_READY, 60_000);
    await waitForLogText(serialLog, `NOVA-GUEST-LEASE ${demo.subnet}.`, 60_000);
    expect((await client.call('capsule.get', { name: demo.capsule })).state).toBe('running');
    expect((await client.call('network.get', { name: demo.network })).status.state).toBe('active');
    // Network names are bridge names.
    execFileSync('ip', ['-n', NS, 'link', 'show', demo.network], { stdio: 'ignore' });
    const rows = (JSON.parse((await nova('ps', '-f', demo.file, '--json')).stdout) as { resources: PsRow[] }).resources;
    expect(rows.find((r) => r.name === demo.capsule)?.address).toMatch(new RegExp(`^${demo.subnet.replaceAll('.', '\\.')}\\.\\d+ on ${demo.network}; 8080->8080/tcp$`));
    // Its published port 8080, on the network's gateway in the test host's namespace.
    const page = await waitFor(
      () => {
        try {
          return execFileSync('ip', ['netns', 'exec', NS, 'curl', '-sS', '--noproxy', '*', '--max-time', '2', `http://${demo.subnet}.1:8080/`], { encoding: 'utf8', timeout: 5000 });
        } catch {
          return null;
        }
      },
      30_000,
      "the capsule's page on its published port",
      250,
    );
    expect(page).toContain('Hello from Nova');
  }, 600_000);

  it('nova down --volumes leaves no VM, capsule, network, bridge or QEMU', async () => {
    const down = await nova('down', '-f', demo.file, '--volumes');
    expect(down.status, down.stdout + down.stderr).toBe(0);
    const client = lab!.client;
    const mine = (names: { name: string }[]) => names.map((r) => r.name).filter((n) => n.startsWith('nv13d'));
    expect(mine((await client.call('vm.list', {})).vms.map((v) => v.definition))).toEqual([]);
    expect(mine((await client.call('capsule.list', {})).capsules)).toEqual([]);
    expect(mine((await client.call('network.list', {})).networks)).toEqual([]);
    expect(execFileSync('ip', ['-n', NS, '-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(demo.network);
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    expect((await pidsMentioning(lab!.dir)).filter((pid) => cmdline(pid).includes('qemu-system'))).toEqual([]);
  }, 300_000);
});
