// Bad input, each a clear error that leaves nothing behind (no interface, no rule, no
// state file, no dnsmasq), and a failure mid-create rolled back completely.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkSpecInput } from '../../src-shared/network.js';
import type { CommandRunner } from '../src/network/command-runner.js';
import type { NetworkManager } from '../src/network/network-manager.js';
import { ProcessRunner } from '../src/process/process-runner.js';
import { NetnsLab, pidsMentioning, snapshotHost } from './network-harness.js';

let lab: NetnsLab;
let mgr: NetworkManager;
let host = '';
let uplink = '';
let lanUplink = '';

beforeAll(async () => {
  lab = await NetnsLab.create('v');
  host = await lab.netns('h');
  const peer = await lab.netns('p');
  uplink = lab.name('up');
  lanUplink = lab.name('lan');
  await lab.veth({ ns: host, ifname: uplink }, { ns: peer, ifname: lab.name('p0') });
  await lab.veth({ ns: host, ifname: lanUplink }, { ns: peer, ifname: lab.name('p1') });
  await lab.tcpServer(host, 9090);
  mgr = lab.manager(host, 'm');
  await mgr.create({ name: lab.name('a'), profile: 'nat', uplinks: [uplink], subnet: '10.44.0.1/24' });
  await mgr.create({ name: lab.name('b'), profile: 'external', uplinks: [lanUplink] });
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('bad input', () => {
  const cases: Array<[string, () => NetworkSpecInput, string, RegExp]> = [
    ['an invalid CIDR', () => ({ name: lab.name('c'), subnet: '10.0.0.999/24' }), 'invalid_argument', /subnet "10\.0\.0\.999\/24" is not a CIDR/],
    ['an overlapping subnet', () => ({ name: lab.name('c'), subnet: '10.44.128.1/16' }), 'invalid_argument', /overlaps 10\.44\.0\.0\/24 of network "nv8nva"/],
    ['a DHCP range outside its subnet', () => ({ name: lab.name('c'), subnet: '10.45.0.1/24', dhcpRange: { start: '10.46.0.10', end: '10.46.0.20' } }), 'invalid_argument', /outside the subnet 10\.45\.0\.0\/24/],
    ['an uplink that does not exist', () => ({ name: lab.name('c'), profile: 'nat', uplinks: [lab.name('nope')], subnet: '10.45.0.1/24' }), 'invalid_argument', /uplink "nv8nvnope" does not exist on this host/],
    ['an uplink used by another network', () => ({ name: lab.name('c'), profile: 'external', uplinks: [lanUplink] }), 'already_exists', /uplink "nv8nvlan" is already used by network "nv8nvb"/],
    ['a name over 15 characters', () => ({ name: 'nv8nvabcdefghijkl', subnet: '10.45.0.1/24' }), 'invalid_argument', /at most 15 characters/],
    ['a port forward on a taken port', () => ({ name: lab.name('c'), subnet: '10.45.0.1/24', forwards: [{ hostPort: 9090, guestAddress: '10.45.0.5', guestPort: 80 }] }), 'failed_precondition', /host port 9090\/tcp is already taken/],
    ['an unavailable overlay driver', () => ({ name: lab.name('c'), type: 'overlay', driver: 'quic', vni: 3 }), 'unsupported', /available drivers: vxlan/],
  ];

  it.each(cases)('refuses %s and leaves nothing behind', async (_what, spec, code, message) => {
    const before = await snapshotHost(lab, host, `${lab.dir}/m-state`);
    const err = await mgr.create(spec()).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await snapshotHost(lab, host, `${lab.dir}/m-state`)).toEqual(before);
  });

  it('refuses a forward on a taken port on an existing network', async () => {
    await expect(mgr.addForward(lab.name('a'), { hostPort: 9090, guestAddress: '10.44.0.5', guestPort: 80 })).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(await mgr.listForwards(lab.name('a'))).toEqual([]);
  });

  it('rolls back everything when a step fails mid-create', async () => {
    const before = await snapshotHost(lab, host, `${lab.dir}/m-state`);
    const base = new ProcessRunner().inNetns(host);
    // dnsmasq is the last step: the bridge and rules exist by then and must go again.
    const failing: CommandRunner = {
      run: (spec) =>
        spec.argv[0] === 'dnsmasq'
          ? Promise.resolve({ exitCode: 2, signal: null, stdout: '', stderr: 'dnsmasq: injected failure', stopped: false, durationMs: 1 })
          : base.run(spec),
    };
    const broken = lab.manager(host, 'm', { runner: failing });
    await expect(broken.create({ name: lab.name('c'), subnet: '10.45.0.1/24' })).rejects.toThrow(/dnsmasq did not start: dnsmasq: injected failure/);
    expect(await snapshotHost(lab, host, `${lab.dir}/m-state`)).toEqual(before);
    expect((await mgr.list()).map((n) => n.name)).toEqual([lab.name('a'), lab.name('b')]);
  });

  it('deletes the remaining networks and their dnsmasq', async () => {
    await mgr.delete(lab.name('a'));
    await mgr.delete(lab.name('b'));
    expect((await lab.exec(host, ['nft', 'list', 'tables'])).stdout.trim()).toBe('');
    const dnsmasqs = await pidsMentioning(`${lab.dir}/m-run`);
    expect(dnsmasqs).toEqual([]);
  });
});
