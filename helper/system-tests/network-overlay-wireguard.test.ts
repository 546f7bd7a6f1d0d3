// A WireGuard overlay across two test hosts joined by an underlay veth: VXLAN inside a
// WireGuard tunnel (the kernel module where present, wireguard-go here), a guest on each
// host pinging across. The hosts are joined through the helper's RPC (network.create, then
// network.setPeers once the second host's key is known). A capture on the underlay proves
// the payload never crosses in cleartext and no plain VXLAN does; plain VXLAN injected from
// outside the tunnel never reaches a guest; recovery brings back a dead wireguard-go and a deleted link.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { Caller } from '../src/auth/peer-credentials.js';
import { PolkitAuthorizer } from '../src/auth/authorizer.js';
import type { HelperHandlers } from '../src/methods/handler-table.js';
import { networkHandlers } from '../src/methods/network-methods.js';
import type { NetworkManager } from '../src/network/network-manager.js';
import { WIREGUARD_UAPI_DIR, WireguardTunnel } from '../src/network/wireguard-tunnel.js';
import { ProcessRunner } from '../src/process/process-runner.js';
import { MethodDispatcher } from '../src/rpc/method-dispatcher.js';
import { RpcServer } from '../src/rpc/rpc-server.js';
import { silentLogger } from '../src/util/logger.js';
import { NetnsLab, PREFIX } from './network-harness.js';

// wireguard-go's control sockets live in one host-wide directory: each test host gets its
// own interface prefix so the two never claim the same socket.
const IF1 = `${PREFIX}p1`;
const IF2 = `${PREFIX}p2`;
/** 16 bytes ping repeats through its payload: "nv4pSECRETnv4pSE". */
const PATTERN_HEX = '6e763470534543524554' + '6e7634705345';
const PATTERN = Buffer.from('nv4pSECRET');
const VNI = 4343;
/** The injector's own address on the overlay's subnet (the guests use .1 and .2). */
const INJECTOR = '10.98.0.66';

let lab: NetnsLab;
let m1: NetworkManager;
let m2: NetworkManager;
/** The helper's RPC in front of each host's manager, and a client of it. */
let c1: HelperClient;
let c2: HelperClient;
const servers: RpcServer[] = [];
const clients: HelperClient[] = [];
let h1 = '';
let h2 = '';
let g1 = '';
let g2 = '';
const captures: ChildProcess[] = [];

const name = () => lab.name('ov');
const u1 = () => lab.name('u1');
const u2 = () => lab.name('u2');

/**
 * The helper's RPC server (its dispatcher: allow-list, schemas, polkit action) with the
 * network handlers over `manager`, on a socket in the lab; the caller is this root process.
 */
async function serve(manager: NetworkManager, role: string): Promise<HelperClient> {
  const socketPath = join(lab.dir, `${role}.sock`);
  // Only network.* is ever called here; the other handlers of a real helper are not needed.
  const handlers = networkHandlers({ networks: manager }) as unknown as HelperHandlers;
  const root: Caller = { pid: process.pid, uid: 0, gid: 0, startTime: null };
  const denyAll = () => Promise.reject(new Error('pkcheck is never asked for root'));
  const server = new RpcServer(new MethodDispatcher(handlers, new PolkitAuthorizer(denyAll, silentLogger())), silentLogger(), {
    socketPath,
    identify: () => Promise.resolve(root),
  });
  servers.push(server);
  await server.listen();
  const client = new HelperClient({ socketPath, reconnect: false });
  clients.push(client);
  client.start();
  await client.waitForConnection(5_000);
  return client;
}

async function daemonPids(ns: string, ifname: string): Promise<number[]> {
  return new WireguardTunnel(new ProcessRunner().inNetns(ns), { keyDir: lab.dir }).daemonPids(ifname);
}

/**
 * tcpdump on an interface of a namespace into a pcap file; resolves once it listens.
 * Immediate mode: with the default buffering, packets still in the ring are lost on SIGINT here.
 */
async function capture(ns: string, ifname: string, file: string): Promise<() => Promise<void>> {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', ifname, '-n', '--immediate-mode', '-U', '-Z', 'root', '-s', '0', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  captures.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${ns}/${ifname} did not start within 10 s`)), 10_000);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump on ${ns}/${ifname} exited (${code}): ${err}`));
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGINT');
    });
}

async function packets(file: string, filter: string): Promise<string[]> {
  const r = await lab.exec(h1, ['tcpdump', '-r', file, '-n', filter]);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

beforeAll(async () => {
  lab = await NetnsLab.create('p');
  h1 = await lab.netns('h1');
  h2 = await lab.netns('h2');
  g1 = await lab.netns('g1');
  g2 = await lab.netns('g2');
  await lab.veth({ ns: h1, ifname: u1(), address: '10.251.0.1/24' }, { ns: h2, ifname: u2(), address: '10.251.0.2/24' });
  m1 = lab.manager(h1, 'm1', { ifPrefix: IF1 });
  m2 = lab.manager(h2, 'm2', { ifPrefix: IF2 });
  c1 = await serve(m1, 'm1');
  c2 = await serve(m2, 'm2');
});

afterAll(async () => {
  for (const c of captures) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of clients) c.close();
  for (const s of servers) await s.close(1_000).catch(() => undefined);
  // The networks' wireguard-go daemons (normally gone with their devices), then the lab.
  if (lab) {
    for (const [ns, prefix] of [[h1, IF1], [h2, IF2]] as const) {
      const links = await lab.exec(ns, ['ip', '-o', 'link', 'show']);
      for (const ifname of links.stdout.match(new RegExp(`${prefix}g[0-9a-f]+`, 'g')) ?? []) {
        for (const pid of await daemonPids(ns, ifname)) process.kill(pid, 'SIGKILL');
      }
    }
    await lab.cleanup();
  }
});

describe('a wireguard overlay network', () => {
  let key1 = '';
  let key2 = '';

  it('joins guests on two hosts through the helper\'s RPC, each host listing the other by key', async () => {
    const a = await c1.call('network.create', { name: name(), type: 'overlay', driver: 'wireguard', vni: VNI, uplinks: [u1()] });
    key1 = a.wireguard?.publicKey ?? '';
    expect(a).toMatchObject({ driver: 'wireguard', vni: VNI, status: { state: 'active' }, wireguard: { listenPort: 51820 } });
    const b = await c2.call('network.create', {
      name: name(),
      type: 'overlay',
      driver: 'wireguard',
      vni: VNI,
      uplinks: [u2()],
      peers: [{ host: '10.251.0.1', publicKey: key1 }],
    });
    key2 = b.wireguard?.publicKey ?? '';
    expect(key2).not.toBe(key1);
    // The first host learns the second's key only now.
    const a2 = await c1.call('network.setPeers', { name: name(), peers: [{ host: '10.251.0.2', publicKey: key2 }] });
    expect(a2.peers).toEqual([{ host: '10.251.0.2', port: null, publicKey: key2 }]);
    expect(a2.status).toEqual({ state: 'active', reasons: [] });
    // Kept: a fresh read (and the record a restart reads) says the same.
    expect((await c1.call('network.get', { name: name() })).peers).toEqual(a2.peers);

    // The private key is the helper's alone.
    const keyFile = join(lab.dir, 'm1-state', 'networks', `${name()}.wg-key`);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(a2)).not.toContain((await readFile(keyFile, 'utf8')).trim());

    await c1.call('network.attach', { network: name(), resource: 'left', kind: 'veth', netns: g1, address: '10.98.0.1/24' });
    await c2.call('network.attach', { network: name(), resource: 'right', kind: 'veth', netns: g2, address: '10.98.0.2/24' });
    expect(await lab.pingWithin(g1, '10.98.0.2', 10_000)).toBe(true);
    expect(await lab.pingWithin(g2, '10.98.0.1')).toBe(true);
    // Guests get the MTU left after WireGuard (60 over IPv4) and VXLAN over IPv6 (70).
    const mtu = JSON.parse((await lab.exec(g1, ['ip', '-json', 'link', 'show', 'eth0'])).stdout) as Array<{ mtu: number }>;
    expect(mtu[0]?.mtu).toBe(1500 - 60 - 70);
  });

  it('refuses peers it cannot use over RPC, with the reason, and keeps the ones it has', async () => {
    await expect(c1.call('network.setPeers', { name: name(), peers: [{ host: '10.251.0.2', publicKey: key1 }] })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining("has this host's own public key") as unknown,
    });
    await expect(c1.call('network.setPeers', { name: name(), peers: [{ host: '10.251.0.2', publicKey: 'not-a-key' }] })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('not a WireGuard public key') as unknown,
    });
    await expect(c1.call('network.setPeers', { name: lab.name('no'), peers: [] })).rejects.toMatchObject({ code: 'not_found' });
    expect((await c1.call('network.get', { name: name() })).peers).toEqual([{ host: '10.251.0.2', port: null, publicKey: key2 }]);
    expect(await lab.pingWithin(g1, '10.98.0.2')).toBe(true);
  });

  it('never carries the payload in cleartext, nor plain VXLAN, over the underlay', async () => {
    const underlayPcap = join(lab.dir, 'underlay.pcap');
    const tunnelPcap = join(lab.dir, 'tunnel.pcap');
    const wgIf = (await m1.get(name())).wireguard?.interface ?? '';
    const stopUnderlay = await capture(h1, u1(), underlayPcap);
    const stopTunnel = await capture(h1, wgIf, tunnelPcap);
    const r = await lab.exec(g1, ['ping', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', '-s', '200', '-p', PATTERN_HEX, '10.98.0.2'], { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(0);
    await new Promise((res) => setTimeout(res, 300));
    await stopUnderlay();
    await stopTunnel();

    // Control: inside the tunnel (before encryption) the pattern is there, so the capture works.
    expect((await readFile(tunnelPcap)).includes(PATTERN)).toBe(true);
    expect((await readFile(underlayPcap)).includes(PATTERN)).toBe(false);
    expect(await packets(underlayPcap, 'udp port 4789')).toEqual([]);
    expect((await packets(underlayPcap, 'udp port 51820')).length).toBeGreaterThanOrEqual(6);
    expect(await packets(underlayPcap, 'not udp port 51820 and not arp and not ip6 multicast')).toEqual([]);
  });

  it('drops plain VXLAN with the overlay\'s VNI from outside the tunnel, while the tunnel carries on', async () => {
    // A third party on the underlay: its own link to h1 and a plain VXLAN device of the
    // overlay's VNI aimed at h1. Over IPv6, which the VXLAN socket inside the tunnel
    // listens on (on every address: the reason for the guard).
    const x = await lab.netns('x');
    await lab.veth({ ns: h1, ifname: lab.name('ux') }, { ns: x, ifname: lab.name('xu') });
    await lab.exec(h1, ['ip', 'addr', 'add', 'fd5a:4::1/64', 'dev', lab.name('ux'), 'nodad']);
    await lab.exec(x, ['ip', 'addr', 'add', 'fd5a:4::2/64', 'dev', lab.name('xu'), 'nodad']);
    const vx = lab.name('xv');
    for (const argv of [
      ['ip', 'link', 'add', vx, 'type', 'vxlan', 'id', String(VNI), 'dstport', '4789', 'local', 'fd5a:4::2', 'remote', 'fd5a:4::1'],
      ['ip', 'addr', 'add', `${INJECTOR}/24`, 'dev', vx],
      ['ip', 'link', 'set', vx, 'up'],
    ]) {
      const r = await lab.exec(x, argv);
      expect(r.stderr).toBe('');
    }
    const table = `${PREFIX}nova`;
    /** The guard's line in h1's ruleset, with its nft handle and counter. */
    const guard = async () => {
      const text = (await lab.exec(h1, ['nft', '-a', 'list', 'chain', 'inet', table, 'input'])).stdout;
      const line = text.split('\n').find((l) => l.includes('@th,96,24')) ?? '';
      return { line, handle: /# handle (\d+)/.exec(line)?.[1], packets: Number(/counter packets (\d+)/.exec(line)?.[1] ?? NaN) };
    };
    /** Whether g1 heard the injector: an ARP request for g1 leaves a neighbour entry there. */
    const heard = async () => (await lab.exec(g1, ['ip', 'neigh', 'show', INJECTOR])).stdout.trim() !== '';
    const inject = () => lab.exec(x, ['ping', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '1', '10.98.0.1'], { timeoutMs: 10_000 });

    const before = await guard();
    expect(before.line).toMatch(new RegExp(`iifname != "${IF1}g[0-9a-f]+" udp dport 4789 @th,96,24 0x${VNI.toString(16)} counter packets \\d+ bytes \\d+ drop`));
    expect((await inject()).exitCode).not.toBe(0);
    expect(await heard()).toBe(false);
    // The frames did arrive, and the guard is what dropped them.
    expect((await guard()).packets).toBeGreaterThan(before.packets);
    // Meanwhile the tunnel carries on.
    expect(await lab.pingWithin(g1, '10.98.0.2')).toBe(true);
    expect(await lab.pingWithin(g2, '10.98.0.1')).toBe(true);

    // Control: without the guard the same injection reaches the guest, so the test's attack
    // is real. A helper restart puts the rule back.
    expect(before.handle).toBeDefined();
    await lab.exec(h1, ['nft', 'delete', 'rule', 'inet', table, 'input', 'handle', before.handle ?? '']);
    expect((await guard()).line).toBe('');
    await inject();
    expect(await heard()).toBe(true);
    expect(await m1.start()).toEqual({ recovered: [name()], finished: [], problems: [] });
    expect((await guard()).line).toContain('@th,96,24');
    await lab.exec(g1, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    expect((await inject()).exitCode).not.toBe(0);
    expect(await heard()).toBe(false);
    expect(await lab.pingWithin(g1, '10.98.0.2')).toBe(true);
    await lab.exec(x, ['ip', 'link', 'del', vx]);
    await lab.exec(h1, ['ip', 'link', 'del', lab.name('ux')]);
  });

  it('refuses peers without a key and names the drivers it offers', async () => {
    await expect(
      m1.create({ name: lab.name('nk'), type: 'overlay', driver: 'wireguard', vni: 77, listenPort: 51821, peers: [{ host: '10.251.0.9' }] }),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('wireguard peer "10.251.0.9" has no public key') as unknown });
    await expect(m1.create({ name: lab.name('q'), type: 'overlay', driver: 'quic', vni: 7 })).rejects.toMatchObject({
      code: 'unsupported',
      message: 'overlay driver "quic" is not available on this host; available drivers: vxlan, wireguard',
    });
    await expect(m1.create({ name: lab.name('pt'), type: 'overlay', driver: 'wireguard', vni: 78 })).rejects.toMatchObject({
      code: 'already_exists',
      message: expect.stringContaining('listen port 51820/udp is already used') as unknown,
    });
    expect((await m1.list()).map((n) => n.name)).toEqual([name()]);
  });

  it('recovers a killed wireguard-go and a deleted WireGuard link after a helper restart', async () => {
    const wg1 = (await m1.get(name())).wireguard?.interface ?? '';
    const wg2 = (await m2.get(name())).wireguard?.interface ?? '';
    // The helpers are gone (fresh managers stand in for SIGKILLed ones); by hand: kill one
    // host's wireguard-go, delete the other's WireGuard link.
    const pids = await daemonPids(h1, wg1);
    expect(pids).toHaveLength(1);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await lab.exec(h2, ['ip', 'link', 'del', wg2]);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await lab.exec(h1, ['ip', 'link', 'show', wg1])).exitCode === 0) await new Promise((r) => setTimeout(r, 50));
    expect(await lab.ping(g1, '10.98.0.2')).toBe(false);

    m1 = lab.manager(h1, 'm1', { ifPrefix: IF1 });
    m2 = lab.manager(h2, 'm2', { ifPrefix: IF2 });
    expect((await m1.get(name())).status.reasons).toContain(`WireGuard interface ${wg1} is missing`);
    expect(await m1.start()).toEqual({ recovered: [name()], finished: [], problems: [] });
    expect(await m2.start()).toEqual({ recovered: [name()], finished: [], problems: [] });
    expect((await m1.get(name())).status).toEqual({ state: 'active', reasons: [] });
    expect((await m2.get(name())).status).toEqual({ state: 'active', reasons: [] });
    expect(await lab.pingWithin(g1, '10.98.0.2', 10_000)).toBe(true);
    expect(await lab.pingWithin(g2, '10.98.0.1')).toBe(true);
  });

  it('deletes exactly what it made on both hosts', async () => {
    const wgs = [(await m1.get(name())).wireguard?.interface ?? '', (await m2.get(name())).wireguard?.interface ?? ''];
    await m1.delete(name());
    await m2.delete(name());
    for (const [ns, underlay, role] of [[h1, u1(), 'm1'], [h2, u2(), 'm2']] as const) {
      const links = JSON.parse((await lab.exec(ns, ['ip', '-json', 'link', 'show'])).stdout) as Array<{ ifname: string }>;
      expect(links.map((l) => l.ifname).sort()).toEqual(['lo', underlay].sort());
      expect((await lab.exec(ns, ['nft', 'list', 'tables'])).stdout.trim()).toBe('');
      expect(await readdir(join(lab.dir, `${role}-state`, 'networks'))).toEqual([]);
    }
    for (const [ns, wg] of [[h1, wgs[0] ?? ''], [h2, wgs[1] ?? '']] as const) {
      expect(await daemonPids(ns, wg)).toEqual([]);
      expect((await readdir(WIREGUARD_UAPI_DIR).catch(() => [] as string[])).filter((f) => f.startsWith(wg))).toEqual([]);
    }
  });
});
