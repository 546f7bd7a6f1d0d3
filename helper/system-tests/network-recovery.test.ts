// Recovery: the manager goes away (a fresh instance stands in for a helper killed with
// SIGKILL), its bridge is deleted and Nova's table flushed by hand; the next start brings
// back the bridge, rules, DHCP and attachments, and traffic flows again. A create that
// never finished is torn down.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab } from './network-harness.js';

let lab: NetnsLab;
let host = '';
let router = '';
let g1 = '';
let g2 = '';
const NET = () => lab.name('net');

beforeAll(async () => {
  lab = await NetnsLab.create('r');
  host = await lab.netns('h');
  router = await lab.netns('rt');
  g1 = await lab.netns('g1');
  g2 = await lab.netns('g2');
  await lab.veth({ ns: host, ifname: lab.name('up'), address: '203.0.113.2/24' }, { ns: router, ifname: lab.name('rt0'), address: '203.0.113.1/24' });
  await lab.exec(host, ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
  await lab.tcpServer(router, 8080);
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('recovery', () => {
  let leased = '';

  it('brings a NAT network back after its bridge and rules are gone', async () => {
    const first = lab.manager(host, 'm');
    await first.create({ name: NET(), profile: 'nat', uplinks: [lab.name('up')], subnet: '10.66.0.1/24' });
    await first.attach({ network: NET(), resource: 'app', kind: 'veth', netns: g1 });
    await first.attach({ network: NET(), resource: 'cache', kind: 'veth', netns: g2, address: '10.66.0.20/24' });
    leased = await lab.dhcp(g1);
    expect(await lab.pingWithin(g1, '10.66.0.20')).toBe(true);

    // The manager is gone; by hand: delete the bridge, flush Nova's table.
    await lab.exec(host, ['ip', 'link', 'del', NET()]);
    await lab.exec(host, ['nft', 'flush', 'table', 'inet', 'nv8nnova']);
    expect(await lab.ping(g1, '10.66.0.20')).toBe(false);

    const second = lab.manager(host, 'm');
    expect((await second.get(NET())).status).toEqual({ state: 'down', reasons: [`bridge ${NET()} is missing`] });
    const report = await second.start();
    expect(report).toEqual({ recovered: [NET()], finished: [], problems: [] });
    const net = await second.get(NET());
    expect(net.status).toEqual({ state: 'active', reasons: [] });
    expect(net.attachments.map((a) => [a.resource, a.present])).toEqual([['app', true], ['cache', true]]);

    // DHCP answers again (the same address: leases are kept by MAC), and traffic flows.
    expect(await lab.dhcp(g1)).toBe(leased);
    expect(await lab.pingWithin(g1, '10.66.0.20')).toBe(true);
    expect(await lab.resolve(g2, `app.${NET()}.nova`, '10.66.0.1')).toEqual([leased]);
    expect(await lab.tcpConnect(g1, '203.0.113.1', 8080)).toBe('203.0.113.2');
  });

  it('restarts a dead dnsmasq and reports it until then', async () => {
    const mgr = lab.manager(host, 'm');
    const pidFile = join(lab.dir, 'm-run', NET(), 'dnsmasq.pid');
    process.kill(Number((await readFile(pidFile, 'utf8')).trim()), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect((await mgr.get(NET())).status).toEqual({ state: 'degraded', reasons: ['dnsmasq (DHCP/DNS) is not running'] });
    await mgr.start();
    expect((await mgr.get(NET())).status.state).toBe('active');
    expect(await lab.dhcp(g1)).toBe(leased);
  });

  it('tears down a network whose create never finished', async () => {
    const mgr = lab.manager(host, 'm');
    const half = lab.name('half');
    await mgr.create({ name: half, profile: 'internal', subnet: '10.67.0.1/24' });
    // As if the helper died before its last write: the record still says "create".
    const file = join(lab.dir, 'm-state', 'networks', `${half}.json`);
    const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...record, pending: 'create' }));
    const fresh = lab.manager(host, 'm');
    const report = await fresh.start();
    expect(report.finished).toEqual([half]);
    expect((await fresh.list()).map((n) => n.name)).toEqual([NET()]);
    expect((await lab.exec(host, ['ip', 'link', 'show', half])).exitCode).not.toBe(0);
    expect((await lab.exec(host, ['nft', 'list', 'table', 'inet', 'nv8nnova'])).stdout).not.toContain(`net-${half}-`);
    await fresh.delete(NET());
  });
});
