import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Network } from '../../../src-shared/network.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { registerNetCommand } from './net-command.js';

const hyperv0: Network = {
  name: 'hyperv0', type: 'bridge', profile: 'nat', bridge: 'hyperv0', subnet: '192.168.220.0/24', gateway: '192.168.220.1',
  dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' }, uplinks: ['enp6s0'], dns: true, domain: 'hyperv0.nova',
  driver: null, vni: null, peers: [], egressAllow: null, forwards: [],
  attachments: [{ resource: 'web', kind: 'veth', hostIfname: 'nva1234', mac: '02:11:22:33:44:55', address: null, netns: 'web', guestIfname: 'eth0', hostname: 'web.hyperv0.nova', present: true }],
  status: { state: 'degraded', reasons: ['uplink enp6s0 is missing'] }, createdAt: '2026-01-01T00:00:00.000Z', project: null,
};

async function run(argv: string[], answer: (method: string, params: unknown) => unknown) {
  let stdout = '';
  const calls: Array<[string, unknown]> = [];
  const program = new Command('nova').option('--json', '', false).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: () => undefined },
    globals: () => ({ socket: '', stateDir: '', json: program.opts<{ json: boolean }>().json, autostart: false }),
    connectHelper: async () =>
      ({
        // network.create goes through callOperation, which uses the typed call and listens for progress.
        call: async (method: string, params: unknown) => (calls.push([method, params]), answer(method, params)),
        onEvent: () => () => undefined,
        close: () => undefined,
      }) as unknown as HelperClient,
  };
  registerNetCommand(program, ctx);
  const harden = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(harden);
  };
  harden(program);
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  return { stdout, calls, error };
}

describe('nova net', () => {
  it('sends the product example as written', async () => {
    const r = await run(
      'net create hyperv0 --type bridge --profile nat --uplink enp6s0 --subnet 192.168.220.1/24 --dhcp-range 192.168.220.50-192.168.220.150'.split(' '),
      () => hyperv0,
    );
    expect(r.error).toBeNull();
    expect(r.calls).toEqual([
      ['network.create', { name: 'hyperv0', type: 'bridge', profile: 'nat', uplinks: ['enp6s0'], subnet: '192.168.220.1/24', dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' } }],
    ]);
    expect(r.stdout).toContain('State:     degraded (uplink enp6s0 is missing)');
  });

  it('parses forwards, egress rules and peers with the NovaFile syntaxes', async () => {
    const r = await run(['net', 'create', 'lab', '--subnet', '10.203.0.1/24', '--forward', '8080:10.203.0.10:80', '--egress-allow', '10.0.0.0/8:443/tcp', '--egress-allow', '53/udp'], () => hyperv0);
    expect(r.calls[0]?.[1]).toMatchObject({
      forwards: [{ hostPort: 8080, guestAddress: '10.203.0.10', guestPort: 80, protocol: 'tcp' }],
      egressAllow: [
        { destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' },
        { destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' },
      ],
    });
  });

  it('takes wireguard peers as KEY@address[:port] and a listen port, and shows the public key', async () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const r = await run(['net', 'create', 'wg0', '--type', 'overlay', '--driver', 'wireguard', '--vni', '9', '--listen-port', '51900', '--peer', `${key}@192.0.2.2:51820`], () => hyperv0);
    expect(r.calls[0]?.[1]).toMatchObject({ driver: 'wireguard', listenPort: 51900, peers: [{ host: '192.0.2.2', port: 51820, publicKey: key }] });
    const bad = await run(['net', 'create', 'wg0', '--type', 'overlay', '--peer', 'short@192.0.2.2'], () => hyperv0);
    expect(bad.calls).toEqual([]);
    expect(String(bad.error)).toContain('"short" is not a WireGuard public key');
    const wg = { ...hyperv0, type: 'overlay' as const, driver: 'wireguard', vni: 9, peers: [{ host: '192.0.2.2', port: null, publicKey: key }], wireguard: { publicKey: key, listenPort: 51820, interface: 'nvg1', tunnelAddress: 'fd00::1' } };
    const shown = await run(['net', 'inspect', 'wg0'], () => wg);
    expect(shown.stdout).toContain(`Peers:     ${key}@192.0.2.2`);
    expect(shown.stdout).toContain(`WireGuard: public key ${key}, port 51820/udp, nvg1 (fd00::1)`);
  });

  it('replaces an overlay\'s peers with `peer set` and lists them with `peer ls`', async () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const key2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
    const peers = [{ host: '192.0.2.2', port: null, publicKey: key }, { host: '2001:db8::3', port: 51900, publicKey: key2 }];
    const wg = { ...hyperv0, name: 'wg0', type: 'overlay' as const, driver: 'wireguard', vni: 9, peers, wireguard: { publicKey: key, listenPort: 51820, interface: 'nvg1', tunnelAddress: 'fd00::1' } };
    const set = await run(['net', 'peer', 'set', 'wg0', `${key}@192.0.2.2`, `${key2}@[2001:db8::3]:51900`], () => wg);
    expect(set.error).toBeNull();
    expect(set.calls).toEqual([['network.setPeers', { name: 'wg0', peers: [{ host: '192.0.2.2', port: null, publicKey: key }, { host: '2001:db8::3', port: 51900, publicKey: key2 }] }]]);
    expect(set.stdout).toContain('Peers of wg0 set (2).');
    expect(set.stdout).toMatch(new RegExp(`PUBLIC KEY\\s+ENDPOINT\\n${key.replace(/[+/]/g, '\\$&')}\\s+192\\.0\\.2\\.2\\n`));
    expect(set.stdout).toContain('[2001:db8::3]:51900');

    const ls = await run(['net', 'peer', 'ls', 'wg0', '--json'], () => wg);
    expect(ls.calls).toEqual([['network.get', { name: 'wg0' }]]);
    expect(JSON.parse(ls.stdout)).toEqual(peers);
    const none = await run(['net', 'peer', 'ls', 'wg0'], () => ({ ...wg, peers: [] }));
    expect(none.stdout).toBe('wg0 has no peers. Add the other hosts with: nova net peer set wg0 KEY@ADDRESS[:PORT] ...\n');
  });

  it('refuses a malformed peer, and an empty list unless --none says so, before calling the helper', async () => {
    const bad = await run(['net', 'peer', 'set', 'wg0', 'short@192.0.2.2'], () => hyperv0);
    expect(bad.calls).toEqual([]);
    expect(String(bad.error)).toContain('"short" is not a WireGuard public key');
    const empty = await run(['net', 'peer', 'set', 'wg0'], () => hyperv0);
    expect(empty.calls).toEqual([]);
    expect(String(empty.error)).toContain('or pass --none to remove them all');
    const cleared = await run(['net', 'peer', 'set', 'wg0', '--none'], () => ({ ...hyperv0, peers: [] }));
    expect(cleared.calls).toEqual([['network.setPeers', { name: 'wg0', peers: [] }]]);
  });

  it('lists as a table and as JSON', async () => {
    const table = await run(['net', 'ls'], () => ({ networks: [hyperv0] }));
    expect(table.stdout).toMatch(/^NAME\s+PROFILE\s+SUBNET\s+ATTACHED\s+STATE\nhyperv0\s+nat\s+192\.168\.220\.0\/24\s+1\s+degraded/);
    const broken = { name: 'lab', state: 'broken', file: '/var/lib/nova/networks/lab.json', stateReason: '/var/lib/nova/networks/lab.json cannot be read: it is empty' };
    const json = await run(['net', 'ls', '--json'], () => ({ networks: [hyperv0], broken: [broken] }));
    expect(JSON.parse(json.stdout)).toEqual({ networks: [hyperv0], broken: [broken] });
    const withBroken = await run(['net', 'ls'], () => ({ networks: [], broken: [broken] }));
    expect(withBroken.stdout).toMatch(/^lab\s+-\s+-\s+-\s+broken \(\/var\/lib\/nova\/networks\/lab\.json cannot be read: it is empty\)$/m);
    expect(withBroken.stdout).toContain("lab's state file cannot be read: see the reason above, and remove it with `nova net rm NAME`");
  });

  it('adds and removes forwards, attaches and detaches', async () => {
    const answer = (m: string) =>
      m === 'network.attach' ? hyperv0.attachments[0] : m.startsWith('network.forward') ? { network: 'hyperv0', forwards: [] } : m === 'network.detach' ? { network: 'hyperv0', resource: 'web' } : null;
    expect((await run(['net', 'forward', 'add', 'hyperv0', '2222:192.168.220.60:22'], answer)).calls).toEqual([
      ['network.forwardAdd', { network: 'hyperv0', forward: { hostPort: 2222, guestAddress: '192.168.220.60', guestPort: 22, protocol: 'tcp' } }],
    ]);
    expect((await run(['net', 'forward', 'rm', 'hyperv0', '5353/udp'], answer)).calls).toEqual([['network.forwardRemove', { network: 'hyperv0', hostPort: 5353, protocol: 'udp' }]]);
    expect((await run(['net', 'attach', 'hyperv0', 'web', '--netns', 'web'], answer)).calls).toEqual([['network.attach', { network: 'hyperv0', resource: 'web', kind: 'veth', netns: 'web' }]]);
    expect((await run(['net', 'detach', 'hyperv0', 'web'], answer)).calls).toEqual([['network.detach', { network: 'hyperv0', resource: 'web' }]]);
  });

  it('refuses a malformed forward before calling the helper', async () => {
    const r = await run(['net', 'forward', 'add', 'hyperv0', '8080-10.0.0.1'], () => null);
    expect(r.calls).toEqual([]);
    expect(String(r.error)).toMatch(/is not a forward/);
  });
});

describe('nova net set', () => {
  const updated = (changes: unknown[]) => () => ({ network: hyperv0, changes });

  it('sends only the fields given, in the vocabulary, and says per field when it takes effect', async () => {
    const r = await run(
      ['network', 'set', 'hyperv0', '--egress-allow', '10.0.0.0/8:443/tcp', '--dhcp-range', '192.168.220.60-192.168.220.90', '--no-dns'],
      updated([
        { field: 'egressAllow', effect: 'now', note: 'the firewall rules were replaced in one step' },
        { field: 'dhcpRange', effect: 'reconnect', note: 'dnsmasq serves the new range' },
      ]),
    );
    expect(r.error).toBeNull();
    expect(r.calls).toEqual([
      [
        'network.update',
        {
          name: 'hyperv0',
          egressAllow: [{ destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' }],
          dhcpRange: { start: '192.168.220.60', end: '192.168.220.90' },
          dns: false,
        },
      ],
    ]);
    expect(r.stdout).toContain('egress allow-list: takes effect now');
    expect(r.stdout).toContain('DHCP range: needs the guests to reconnect');
  });

  it('removes the allow-list and the forwards on purpose only, and reads a network-address subnet', async () => {
    const r = await run(['net', 'set', 'lab', '--egress-any', '--no-forwards', '--subnet', '10.250.2.0/24'], updated([]));
    expect(r.calls).toEqual([['network.update', { name: 'lab', egressAllow: null, forwards: [], subnet: '10.250.2.1/24' }]]);
    expect(r.stdout).toContain('Nothing to change');
    const none = await run(['net', 'set', 'lab'], updated([]));
    expect(String(none.error)).toContain('say what to change');
    expect(none.calls).toEqual([]);
  });
});
