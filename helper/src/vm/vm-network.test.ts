// The VM side of Nova networks with a fake network engine: a tap replaces a leftover of
// its own, detaching twice is fine, and tap counters are read from the guest's side.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { Attachment } from '../../../src-shared/network.js';
import { networkManagerPort, noNetworkPort, readTapCounters, type TapNetworks } from './vm-network.js';

function fakeNetworks(): TapNetworks & { calls: string[]; attached: Set<string> } {
  const attached = new Set<string>();
  const calls: string[] = [];
  return {
    calls,
    attached,
    async get(name) {
      if (name !== 'lab') throw new NovaError('not_found', `network "${name}" does not exist`);
      return { attachments: [] };
    },
    async attach({ network, resource }) {
      calls.push(`attach ${network} ${resource}`);
      if (attached.has(resource)) throw new NovaError('already_exists', `${resource} is already attached`);
      attached.add(resource);
      const a: Attachment = { resource, kind: 'tap', hostIfname: 'nva0011aabb', mac: '02:11:22:33:44:55', address: null, netns: null, guestIfname: null, hostname: `${resource}.lab.nova`, present: true };
      return a;
    },
    async detach(network, resource) {
      calls.push(`detach ${network} ${resource}`);
      if (!attached.delete(resource)) throw new NovaError('not_found', `${resource} is not attached to network ${network}`);
    },
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('networkManagerPort', () => {
  it("replaces a tap left by a crash, since its name and MAC are the VM's own", async () => {
    const nets = fakeNetworks();
    nets.attached.add('web');
    const tap = await networkManagerPort(nets).attachTap('lab', 'web');
    expect(tap).toEqual({ network: 'lab', ifname: 'nva0011aabb', mac: '02:11:22:33:44:55' });
    expect(nets.calls).toEqual(['detach lab web', 'attach lab web']);
  });

  it('detaches idempotently and passes other errors on', async () => {
    const nets = fakeNetworks();
    const port = networkManagerPort(nets);
    await port.detachTap('lab', 'web');
    await expect(port.checkNetwork('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('without a network engine, refuses a Nova network clearly', async () => {
    await expect(noNetworkPort.attachTap('lab', 'web')).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/network lab/) });
  });
});

describe('readTapCounters', () => {
  it("reports the guest's receive as the tap's transmit, and the reverse", async () => {
    const root = await mkdtemp(join(tmpdir(), 'nv3n-sys-'));
    dirs.push(root);
    await mkdir(join(root, 'nvat1', 'statistics'), { recursive: true });
    await writeFile(join(root, 'nvat1', 'statistics', 'rx_bytes'), '1000\n');
    await writeFile(join(root, 'nvat1', 'statistics', 'tx_bytes'), '5000\n');
    expect(await readTapCounters('nvat1', root)).toEqual({ rxBytes: 5000, txBytes: 1000 });
    expect(await readTapCounters('gone', root, join(root, 'no-proc'))).toBeNull();
  });

  it('falls back to /proc/net/dev when sysfs shows another namespace', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nv3n-proc-'));
    dirs.push(root);
    await writeFile(
      join(root, 'dev'),
      'Inter-|   Receive                                                |  Transmit\n' +
        ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
        '    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n' +
        'nvat1:    1000      10    0    0    0     0          0         0     5000      20    0    0    0     0       0          0\n',
    );
    expect(await readTapCounters('nvat1', join(root, 'nosys'), join(root, 'dev'))).toEqual({ rxBytes: 5000, txBytes: 1000 });
  });
});
