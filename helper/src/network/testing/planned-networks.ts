// Networks as the plan makes them, for the engine's unit and golden tests: the product's
// own example (hyperv0) and a WireGuard overlay with a fixed key pair.
import { NetworkSpecSchema, type NetworkSpecInput } from '../../../../src-shared/network.js';
import type { NetworkConfig } from '../network-config.js';
import { planNetwork } from '../network-plan.js';

/** This host's WireGuard public key in every test plan. */
export const TEST_PUBLIC_KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';

export function planned(input: NetworkSpecInput, overlayDrivers: string[] = ['vxlan'], existing: NetworkConfig[] = []): NetworkConfig {
  return planNetwork(NetworkSpecSchema.parse(input), { existing, ifPrefix: 'nv', overlayDrivers, wireguardPublicKey: TEST_PUBLIC_KEY });
}

export const HYPERV0_SPEC = {
  name: 'hyperv0',
  profile: 'nat',
  uplinks: ['enp6s0'],
  subnet: '192.168.220.1/24',
  dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' },
} as const satisfies NetworkSpecInput;

/** A VXLAN-in-WireGuard overlay with one peer. */
export function wireguardOverlay(name = 'wgl', vni = 4343): NetworkConfig {
  return planned(
    { name, type: 'overlay', driver: 'wireguard', vni, uplinks: ['eth1'], peers: [{ host: '192.0.2.10', publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=' }] },
    ['vxlan', 'wireguard'],
  );
}
