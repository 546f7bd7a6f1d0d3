// Edges of the network engine, inside namespaces: an overlay's MTU (big packets cross the
// tunnel instead of vanishing), hairpin port forwards (a guest reaching a forward of its
// own network; the guest behind the forward reaching itself would need the port's hairpin
// mode, which reflects its own broadcasts, so it is not offered), and an external uplink
// that still carries the host's address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkManager } from '../src/network/network-manager.js';
import { NetnsLab, snapshotHost } from './network-harness.js';

let lab: NetnsLab;

beforeAll(async () => {
  lab = await NetnsLab.create('a');
});

afterAll(async () => {
  await lab?.cleanup();
});

async function mtuOf(ns: string, ifname: string): Promise<number> {
  const r = await lab.exec(ns, ['ip', '-json', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(r.stdout) as Array<{ mtu: number }>)[0]?.mtu ?? 0;
}

describe('an overlay', () => {
  let m1: NetworkManager;
  let m2: NetworkManager;
  let g1 = '';
  let g2 = '';
  const name = () => lab.name('ov');

  beforeAll(async () => {
    const h1 = await lab.netns('h1');
    const h2 = await lab.netns('h2');
    g1 = await lab.netns('g1');
    g2 = await lab.netns('g2');
    await lab.veth({ ns: h1, ifname: lab.name('u1'), address: '10.251.0.1/24' }, { ns: h2, ifname: lab.name('u2'), address: '10.251.0.2/24' });
    m1 = lab.manager(h1, 'm1');
    m2 = lab.manager(h2, 'm2');
    await m1.create({ name: name(), type: 'overlay', vni: 4343, uplinks: [lab.name('u1')], peers: [{ host: '10.251.0.2' }] });
    await m2.create({ name: name(), type: 'overlay', vni: 4343, uplinks: [lab.name('u2')], peers: [{ host: '10.251.0.1' }] });
    await m1.attach({ network: name(), resource: 'left', kind: 'veth', netns: g1, address: '10.98.0.1/24' });
    await m2.attach({ network: name(), resource: 'right', kind: 'veth', netns: g2, address: '10.98.0.2/24' });
  });

  it("gives the bridge and each guest the tunnel's MTU: the underlay's less 50 bytes of VXLAN", async () => {
    expect(await mtuOf(lab.name('h1'), name())).toBe(1450);
    expect(await mtuOf(g1, 'eth0')).toBe(1450);
    expect(await mtuOf(g2, 'eth0')).toBe(1450);
  });

  it('carries large packets across: a full-size one unfragmented, a larger one fragmented by the guest', async () => {
    expect(await lab.pingWithin(g1, '10.98.0.2')).toBe(true);
    // 1400 bytes of payload + 28 of headers with "don't fragment".
    const big = await lab.exec(g1, ['ping', '-n', '-q', '-c', '1', '-W', '2', '-s', '1400', '-M', 'do', '10.98.0.2'], { timeoutMs: 8_000 });
    expect(big.exitCode, big.stdout + big.stderr).toBe(0);
    // Exactly the tunnel's MTU (1422 + 28 = 1450).
    const full = await lab.exec(g2, ['ping', '-n', '-q', '-c', '1', '-W', '2', '-s', '1422', '-M', 'do', '10.98.0.1'], { timeoutMs: 8_000 });
    expect(full.exitCode, full.stdout + full.stderr).toBe(0);
    // A 1500-byte packet: with the guest at 1500 it would leave whole and the VXLAN device would drop it.
    const over = await lab.exec(g1, ['ping', '-n', '-q', '-c', '1', '-W', '2', '-s', '1472', '10.98.0.2'], { timeoutMs: 8_000 });
    expect(over.exitCode, over.stdout + over.stderr).toBe(0);
  });

  it('deletes cleanly on both hosts', async () => {
    await m1.delete(name());
    await m2.delete(name());
    expect(await m1.list()).toEqual([]);
    expect(await m2.list()).toEqual([]);
  });
});

describe('a port forward reached from its own network (hairpin)', () => {
  let mgr: NetworkManager;
  let host = '';
  let g3 = '';
  let g4 = '';
  const name = () => lab.name('hp');

  beforeAll(async () => {
    host = await lab.netns('h3');
    g3 = await lab.netns('g3');
    g4 = await lab.netns('g4');
    mgr = lab.manager(host, 'm3');
    await mgr.create({ name: name(), profile: 'nat', subnet: '10.77.0.1/24', dhcp: false });
    await mgr.attach({ network: name(), resource: 'client', kind: 'veth', netns: g3, address: '10.77.0.10/24' });
    await mgr.attach({ network: name(), resource: 'server', kind: 'veth', netns: g4, address: '10.77.0.11/24' });
    await lab.tcpServer(g4, 8080);
    await mgr.addForward(name(), { hostPort: 18080, guestAddress: '10.77.0.11', guestPort: 8080 });
  });

  it('answers a neighbour guest, which the server sees as the host', async () => {
    expect(await lab.pingWithin(g3, '10.77.0.11')).toBe(true);
    expect(await lab.tcpConnect(g3, '10.77.0.1', 18080)).toBe('10.77.0.1');
  });

  it('still shows the real caller for traffic on the bridge that is not forwarded', async () => {
    expect(await lab.tcpConnect(g3, '10.77.0.11', 8080)).toBe('10.77.0.10');
  });

  it('removes the hairpin rule with the forward', async () => {
    await mgr.removeForward(name(), 18080);
    const rules = await lab.exec(host, ['nft', 'list', 'table', 'inet', 'nv8nnova']);
    expect(rules.stdout).not.toContain('ct status dnat masquerade');
    await mgr.delete(name());
  });
});

describe('an external uplink that carries an address of the host', () => {
  let mgr: NetworkManager;
  let host = '';
  let stateDir = '';
  const uplink = () => lab.name('up');

  beforeAll(async () => {
    host = await lab.netns('h4');
    const lan = await lab.netns('l4');
    await lab.veth({ ns: host, ifname: uplink(), address: '10.78.0.2/24' }, { ns: lan, ifname: lab.name('l0'), address: '10.78.0.1/24' });
    mgr = lab.manager(host, 'm4');
    stateDir = `${lab.dir}/m4-state`;
  });

  it('is refused with the address named and the way out, and nothing is made', async () => {
    const before = await snapshotHost(lab, host, stateDir);
    await expect(mgr.create({ name: lab.name('x'), profile: 'external', uplinks: [uplink()] })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(new RegExp(`^uplink "${uplink()}" carries this host's address 10\\.78\\.0\\.2/24: .*Remove the address from ${uplink()} first.*or use profile "nat"`)),
    });
    expect(await snapshotHost(lab, host, stateDir)).toEqual(before);
  });

  it('is bridged once the address is gone (its IPv6 link-local address does not count)', async () => {
    await lab.exec(host, ['ip', '-4', 'addr', 'flush', 'dev', uplink()]);
    const net = await mgr.create({ name: lab.name('x'), profile: 'external', uplinks: [uplink()] });
    expect(net.status).toEqual({ state: 'active', reasons: [] });
    await mgr.delete(lab.name('x'));
  });
});
