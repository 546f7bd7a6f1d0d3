// Planning a wireguard overlay: keys checked and required, peers unique, tunnel addresses
// derived from VNI and key alike on every host, the MTU left after both tunnels, and the
// exact `wg setconf` file and iproute2 lines.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { NetworkSpecSchema, type NetworkSpecInput } from '../../../src-shared/network.js';
import type { NetworkConfig } from './network-config.js';
import { planNetwork } from './network-plan.js';
import { renderWireguardConf, tunnelAddress, vxlanInTunnelLines, wireguardAddressLines, wireguardDevice } from './wireguard-plan.js';

const OWN = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const K1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const K2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';

const plan = (input: NetworkSpecInput, existing: NetworkConfig[] = [], underlayMtu?: number) =>
  planNetwork(NetworkSpecSchema.parse(input), { existing, ifPrefix: 'nv', overlayDrivers: ['vxlan', 'wireguard'], wireguardPublicKey: OWN, underlayMtu });
const wg = (extra: Partial<NetworkSpecInput> = {}): NetworkSpecInput => ({ name: 'lab', type: 'overlay', driver: 'wireguard', vni: 4242, ...extra });

function fails(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NovaError);
    expect((err as NovaError).code).toBe(code);
    expect((err as NovaError).message).toMatch(message);
    return;
  }
  throw new Error('expected an error');
}

describe('a wireguard overlay plan', () => {
  it('carries VXLAN to the peers\' tunnel addresses, which every host derives alike', () => {
    const c = plan(wg({ peers: [{ host: '192.0.2.2', publicKey: K1 }, { host: '2001:db8::3', port: 51900, publicKey: K2 }] }));
    const t = c.overlay?.wireguard;
    expect(t).toMatchObject({ interface: wireguardDevice('nv', 'lab'), listenPort: 51820, publicKey: OWN, tunnelAddress: tunnelAddress(4242, OWN), tunnelPrefix: 64 });
    expect(t?.peers).toEqual([
      { publicKey: K1, endpoint: '192.0.2.2:51820', tunnelAddress: tunnelAddress(4242, K1) },
      { publicKey: K2, endpoint: '[2001:db8::3]:51900', tunnelAddress: tunnelAddress(4242, K2) },
    ]);
    expect(c.overlay?.peers).toEqual([{ address: tunnelAddress(4242, K1), port: 4789 }, { address: tunnelAddress(4242, K2), port: 4789 }]);
    expect(tunnelAddress(4242, K1)).toMatch(/^fd[0-9a-f]{2}:/);
    // One /64 per overlay, one interface id per key.
    expect(tunnelAddress(4242, K1).split(':').slice(0, 4)).toEqual(tunnelAddress(4242, K2).split(':').slice(0, 4));
    expect(tunnelAddress(7, K1)).not.toBe(tunnelAddress(4242, K1));
    expect(wireguardDevice('nv', 'lab')).toMatch(/^nvg[0-9a-f]{8}$/);
  });

  it('leaves guests the underlay less WireGuard (60 over IPv4, 80 over IPv6) and VXLAN over IPv6 (70)', () => {
    expect(plan(wg({ peers: [{ host: '192.0.2.2', publicKey: K1 }] })).overlay).toMatchObject({ mtu: 1370, wireguard: { mtu: 1440 } });
    expect(plan(wg({ peers: [{ host: '2001:db8::2', publicKey: K1 }] })).overlay).toMatchObject({ mtu: 1350, wireguard: { mtu: 1420 } });
    expect(plan(wg(), [], 9000).overlay?.mtu).toBe(8870);
    fails(() => plan(wg(), [], 1400), 'invalid_argument', /MTU 1400 leaves 1270 bytes for guests after WireGuard's 60 and VXLAN's 70.*at least 1280/);
  });

  it.each<[string, NetworkSpecInput, string, RegExp]>([
    ['a peer without a key', wg({ peers: [{ host: '192.0.2.2', port: 51821 }] }), 'invalid_argument', /wireguard peer "192\.0\.2\.2:51821" has no public key; write it as "KEY@192\.0\.2\.2:51821"/],
    ['the same key twice', wg({ peers: [{ host: '192.0.2.2', publicKey: K1 }, { host: '192.0.2.3', publicKey: K1 }] }), 'invalid_argument', /peers "192\.0\.2\.2" and "192\.0\.2\.3" have the same public key/],
    ['the same endpoint twice', wg({ peers: [{ host: '192.0.2.2', publicKey: K1 }, { host: '192.0.2.2', port: 51820, publicKey: K2 }] }), 'invalid_argument', /192\.0\.2\.2:51820 is listed twice/],
    ["this host's own key", wg({ peers: [{ host: '192.0.2.2', publicKey: OWN }] }), 'invalid_argument', /has this host's own public key/],
    ['a key on a vxlan peer', { name: 'v', type: 'overlay', vni: 1, peers: [{ host: '192.0.2.2', publicKey: K1 }] }, 'invalid_argument', /only driver "wireguard" uses/],
    ['a listen port on vxlan', { name: 'v', type: 'overlay', vni: 1, listenPort: 51820 }, 'invalid_argument', /listen port applies only to driver "wireguard"/],
    ['a listen port on a bridge', { name: 'b', subnet: '10.0.0.1/24', listenPort: 51820 }, 'invalid_argument', /apply only to overlay networks/],
  ])('refuses %s', (_what, input, code, message) => {
    fails(() => plan(input), code, message);
  });

  it('refuses a malformed key even when the schema was bypassed', () => {
    const spec = { ...NetworkSpecSchema.parse(wg()), peers: [{ host: '192.0.2.2', port: null, publicKey: 'not-a-key' }] };
    fails(() => planNetwork(spec, { existing: [], ifPrefix: 'nv', overlayDrivers: ['wireguard'], wireguardPublicKey: OWN }), 'invalid_argument', /"not-a-key" is not a WireGuard public key/);
    expect(NetworkSpecSchema.safeParse(wg({ peers: [{ host: 'h', publicKey: 'AAAA' }] })).success).toBe(false);
  });

  it('refuses a listen port another wireguard overlay holds', () => {
    const first = plan(wg());
    fails(() => plan(wg({ name: 'two', vni: 5 }), [first]), 'already_exists', /listen port 51820\/udp is already used by WireGuard network "lab"; set another listen port/);
    expect(plan(wg({ name: 'two', vni: 5, listenPort: 51821 }), [first]).overlay?.wireguard?.listenPort).toBe(51821);
  });

  it('writes the whole device config for wg setconf and the lines for ip and bridge', () => {
    const t = plan(wg({ peers: [{ host: '192.0.2.2', publicKey: K1 }] })).overlay?.wireguard;
    if (!t) throw new Error('no tunnel');
    const a = tunnelAddress(4242, OWN);
    const p = tunnelAddress(4242, K1);
    expect(renderWireguardConf(t, 'PRIVATE')).toBe(
      `[Interface]\nPrivateKey = PRIVATE\nListenPort = 51820\n\n[Peer]\nPublicKey = ${K1}\nAllowedIPs = ${p}/128\nEndpoint = 192.0.2.2:51820\n`,
    );
    expect(wireguardAddressLines(t)).toEqual([`addr replace ${a}/64 dev ${t.interface} nodad`, `link set dev ${t.interface} mtu 1440 up`]);
    expect(vxlanInTunnelLines('nvx1', 4242, 4789, 1370, t)).toEqual({
      host: [`link add name nvx1 mtu 1370 type vxlan id 4242 dstport 4789 local ${a}`],
      fdb: [`fdb append 00:00:00:00:00:00 dev nvx1 dst ${p} port 4789`],
    });
  });
});
