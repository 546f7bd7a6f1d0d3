// network.update for real, inside a test host namespace: each field changed on a live
// NAT network and read back from the kernel (nft -j), dnsmasq's config and a guest's
// DHCP lease; what cannot change is refused in words with nothing touched; and an update
// whose last step fails leaves the old rules, the old dnsmasq and the old record.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/network/command-runner.js';
import type { NetworkManager } from '../src/network/network-manager.js';
import { ProcessRunner } from '../src/process/process-runner.js';
import { NetnsLab, snapshotHost } from './network-harness.js';

let lab: NetnsLab;
let mgr: NetworkManager;
let host = '';
let guest = '';
let net = '';

const OLD_DEST = '198.51.100.0/24';
const NEW_DEST = '203.0.113.0/24';

/** Nova's table as nft prints it in JSON, flattened to text: enough to find an address in a rule. */
async function ruleset(): Promise<string> {
  const r = await lab.exec(host, ['nft', '-j', 'list', 'table', 'inet', `${lab.prefix}nova`]);
  expect(r.exitCode, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { nftables: Array<{ rule?: unknown }> };
  return JSON.stringify(doc.nftables.filter((e) => e.rule !== undefined));
}

function dnsmasqConf(name: string): Promise<string> {
  return readFile(join(lab.dir, 'm-run', name, 'dnsmasq.conf'), 'utf8');
}

beforeAll(async () => {
  lab = await NetnsLab.create('u', 'nv16n');
  host = await lab.netns('h');
  guest = await lab.netns('g');
  mgr = lab.manager(host, 'm');
  await mgr.start();
  net = lab.name('a');
  await mgr.create({ name: net, subnet: '10.250.9.1/24', dhcpRange: '10.250.9.50-10.250.9.60', egressAllow: [`${OLD_DEST}:443/tcp`] });
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('network.update on a live NAT network', () => {
  it('replaces the egress allow-list in the kernel at once', async () => {
    expect(await ruleset()).toContain('198.51.100.0');
    const r = await mgr.update({ name: net, egressAllow: [`${NEW_DEST}:80/tcp`] });
    expect(r.changes).toEqual([expect.objectContaining({ field: 'egressAllow', effect: 'now' })]);
    expect(r.network.egressAllow).toEqual([{ destination: NEW_DEST, ports: { from: 80, to: 80 }, protocol: 'tcp' }]);
    const rules = await ruleset();
    expect(rules).toContain('203.0.113.0');
    expect(rules).not.toContain('198.51.100.0');
  });

  it('says nothing changed when the values are the current ones', async () => {
    const r = await mgr.update({ name: net, egressAllow: [`${NEW_DEST}:80/tcp`], type: 'bridge', profile: 'nat' });
    expect(r.changes).toEqual([]);
  });

  it('moves the DHCP range: dnsmasq serves it, a guest gets an address in it', async () => {
    const r = await mgr.update({ name: net, dhcpRange: '10.250.9.200-10.250.9.210' });
    expect(r.changes).toEqual([expect.objectContaining({ field: 'dhcpRange', effect: 'reconnect' })]);
    expect(await dnsmasqConf(net)).toContain('dhcp-range=10.250.9.200,10.250.9.210,');
    await mgr.attach({ network: net, resource: 'web', kind: 'veth', netns: guest });
    const address = await lab.dhcp(guest);
    expect(Number(address.split('.')[3])).toBeGreaterThanOrEqual(200);
    expect(Number(address.split('.')[3])).toBeLessThanOrEqual(210);
    expect((await mgr.leases(net)).map((l) => l.address)).toContain(address);
  });

  it('changes the domain and turns DNS off, each taking effect when guests reconnect', async () => {
    const domain = await mgr.update({ name: net, domain: 'lab.example' });
    expect(domain.changes).toEqual([expect.objectContaining({ field: 'domain', effect: 'reconnect' })]);
    expect(await dnsmasqConf(net)).toContain('domain=lab.example');
    const off = await mgr.update({ name: net, dns: false });
    expect(off.changes).toEqual([expect.objectContaining({ field: 'dns', effect: 'reconnect' })]);
    expect(await dnsmasqConf(net)).toContain('port=0');
    expect(off.network.dns).toBe(false);
  });

  it('sets the forwards as a list: the DNAT rule is there at once', async () => {
    const r = await mgr.update({ name: net, forwards: ['18080:10.250.9.205:80'] });
    expect(r.changes).toEqual([expect.objectContaining({ field: 'forwards', effect: 'now' })]);
    expect(await ruleset()).toContain('18080');
    expect(await mgr.listForwards(net)).toEqual([{ hostPort: 18080, guestAddress: '10.250.9.205', guestPort: 80, protocol: 'tcp' }]);
  });

  it('refuses a new subnet while a guest is attached, and a change of kind, touching nothing', async () => {
    const before = await snapshotHost(lab, host, join(lab.dir, 'm-state'));
    await expect(mgr.update({ name: net, subnet: '10.251.0.1/24', egressAllow: null })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('cannot change while 1 guest is attached'),
    });
    await expect(mgr.update({ name: net, profile: 'internal' })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('its kind cannot change'),
    });
    await expect(mgr.update({ name: net, dhcpRange: '10.99.0.10-10.99.0.20' })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await snapshotHost(lab, host, join(lab.dir, 'm-state'))).toEqual(before);
    expect((await mgr.get(net)).subnet).toBe('10.250.9.0/24');
  });

  it('moves a network with nothing attached to a new subnet', async () => {
    await mgr.detach(net, 'web');
    const r = await mgr.update({ name: net, subnet: '10.251.0.0/24', forwards: [] });
    expect(r.changes.map((c) => c.field).sort()).toEqual(['forwards', 'subnet']);
    expect(r.network).toMatchObject({ subnet: '10.251.0.0/24', gateway: '10.251.0.1' });
    const addr = await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', net]);
    expect(addr.stdout).toContain('10.251.0.1/24');
    expect(addr.stdout).not.toContain('10.250.9.1');
    expect(await dnsmasqConf(net)).toContain('dhcp-range=10.251.0.');
  });
});

describe('a free subnet for the create form', () => {
  it('overlaps no host address, no route and no Nova network', async () => {
    const dev = lab.name('v0');
    for (const argv of [
      ['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', lab.name('v1')],
      ['ip', 'addr', 'add', '10.250.0.5/24', 'dev', dev],
      ['ip', 'link', 'set', dev, 'up'],
      ['ip', 'route', 'add', '10.250.1.0/24', 'dev', dev],
    ]) {
      const r = await lab.exec(host, argv);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const taken = await mgr.create({ name: lab.name('b'), subnet: '10.250.2.0/24', dhcp: false });
    expect(taken.gateway).toBe('10.250.2.1');
    expect(await mgr.suggestSubnet()).toBe('10.250.3.0/24');
    await mgr.delete(lab.name('b'));
    expect(await mgr.suggestSubnet()).toBe('10.250.2.0/24');
  });
});

describe('a network.update that fails part way', () => {
  it('leaves the old rules, the old dnsmasq and the old record', async () => {
    const base = new ProcessRunner().inNetns(host);
    // dnsmasq restarts after the rules were replaced: both must come back as they were.
    // Only the first start fails, so the undo can start the old one again.
    let failures = 1;
    const failing: CommandRunner = {
      run: (spec) =>
        spec.argv[0] === 'dnsmasq' && failures-- > 0
          ? Promise.resolve({ exitCode: 2, signal: null, stdout: '', stderr: 'dnsmasq: injected failure', stopped: false, durationMs: 1 })
          : base.run(spec),
    };
    const broken = lab.manager(host, 'm', { runner: failing });
    await broken.start();
    const rulesBefore = await ruleset();
    const confBefore = await dnsmasqConf(net);
    const recordBefore = await readFile(join(lab.dir, 'm-state', 'networks', `${net}.json`), 'utf8');
    await expect(broken.update({ name: net, egressAllow: [`${OLD_DEST}:22/tcp`], dhcpRange: '10.251.0.150-10.251.0.160' })).rejects.toThrow(
      /dnsmasq did not start: dnsmasq: injected failure/,
    );
    expect(await ruleset()).toBe(rulesBefore);
    expect(await dnsmasqConf(net)).toBe(confBefore);
    expect(await readFile(join(lab.dir, 'm-state', 'networks', `${net}.json`), 'utf8')).toBe(recordBefore);
    const seen = await mgr.get(net);
    expect(seen.egressAllow).toEqual([{ destination: NEW_DEST, ports: { from: 80, to: 80 }, protocol: 'tcp' }]);
    expect(seen.status).toEqual({ state: 'active', reasons: [] });
  });
});
