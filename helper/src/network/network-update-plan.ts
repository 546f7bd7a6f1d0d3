// What a `network.update` asks for, checked as a create would be: the network's current
// settings with the changes laid over them go through planNetwork against the other
// networks, so every rule (range inside the subnet, forwards to guests, egress only on
// NAT, no overlapping subnets) is the create's own. Pure; network-update.ts applies it.
import { NovaError } from '../../../src-shared/errors.js';
import type { ChangeEffect, NetworkSpec, NetworkUpdate, NetworkUpdateField } from '../../../src-shared/network.js';
import type { NetworkConfig } from './network-config.js';
import { planNetwork } from './network-plan.js';

export interface PlannedChange {
  field: NetworkUpdateField;
  effect: ChangeEffect;
  note: string;
}

export interface UpdatePlan {
  /** The whole config after the update (overlay and uplinks kept as they are). */
  next: NetworkConfig;
  changes: PlannedChange[];
}

const NOTES: Record<NetworkUpdateField, { effect: ChangeEffect; note: string }> = {
  egressAllow: { effect: 'now', note: 'the firewall rules were replaced in one step' },
  forwards: { effect: 'now', note: 'the firewall rules were replaced in one step' },
  peers: { effect: 'now', note: 'the tunnel uses the new peers at once' },
  subnet: { effect: 'now', note: 'the bridge has its new address; nothing was attached' },
  dhcpRange: { effect: 'reconnect', note: 'dnsmasq serves the new range; a guest moves into it when it renews its lease or reconnects' },
  dhcp: { effect: 'reconnect', note: 'dnsmasq was restarted; guests notice when they renew their lease or reconnect' },
  dns: { effect: 'reconnect', note: 'guests learn their DNS server from DHCP, so they see the change when they renew their lease or reconnect' },
  domain: { effect: 'reconnect', note: 'names answer under the new domain now; guests search it once they renew their lease or reconnect' },
};

/** The spec that would create `config` as a plain bridge: what planNetwork checks an update against. */
function specOf(config: NetworkConfig): NetworkSpec {
  return {
    name: config.name,
    type: 'bridge',
    profile: config.profile,
    ...(config.subnet ? { subnet: `${config.subnet.gateway}/${config.subnet.prefix}` } : {}),
    ...(config.dhcp ? { dhcpRange: { ...config.dhcp } } : {}),
    dhcp: config.dhcp !== null,
    // An overlay's uplink is its underlay, which the bridge rules would misread; it does not change here.
    uplinks: config.overlay ? [] : [...config.uplinks],
    dns: config.dns,
    domain: config.domain,
    peers: [],
    ...(config.egressAllow ? { egressAllow: config.egressAllow.map((r) => ({ ...r })) } : {}),
    forwards: config.forwards.map((f) => ({ ...f })),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Checks `update` against `config` (attached: how many guests are on it) and the other
 * networks; throws a NovaError naming the field for what cannot change.
 */
export function planUpdate(config: NetworkConfig, update: NetworkUpdate, attached: number, others: readonly NetworkConfig[]): UpdatePlan {
  const kind = `${config.type === 'overlay' ? 'an overlay' : 'a bridge'} with profile "${config.profile}"`;
  if ((update.type !== undefined && update.type !== config.type) || (update.profile !== undefined && update.profile !== config.profile)) {
    throw new NovaError('failed_precondition', `network ${config.name} is ${kind}; its kind cannot change (delete it and create it again)`, { field: update.type !== undefined && update.type !== config.type ? 'type' : 'profile' });
  }
  const spec = specOf(config);
  const currentSubnet = spec.subnet;
  if (update.subnet !== undefined && update.subnet !== currentSubnet) {
    if (attached > 0) {
      throw new NovaError(
        'failed_precondition',
        `the subnet of ${config.name} cannot change while ${attached} guest${attached === 1 ? ' is' : 's are'} attached: they hold addresses in ${config.subnet?.cidr ?? 'it'}; detach them first`,
        { field: 'subnet' },
      );
    }
    if (config.overlay) throw new NovaError('failed_precondition', `the subnet of overlay ${config.name} is shared with its peers and cannot change here; delete and create it again on every host`, { field: 'subnet' });
    spec.subnet = update.subnet;
    // The old range lies in the old block: the new block gets its default unless one is given.
    delete spec.dhcpRange;
  }
  if (update.dhcpRange !== undefined) {
    spec.dhcpRange = update.dhcpRange;
    if (update.dhcp === undefined) spec.dhcp = true;
  }
  if (update.dhcp !== undefined) spec.dhcp = update.dhcp;
  if (update.dns !== undefined) spec.dns = update.dns;
  if (update.domain !== undefined) spec.domain = update.domain;
  if (update.egressAllow !== undefined) {
    if (update.egressAllow === null) delete spec.egressAllow;
    else spec.egressAllow = update.egressAllow;
  }
  if (update.forwards !== undefined) spec.forwards = update.forwards;
  if (update.peers !== undefined && update.peers.length > 0 && !config.overlay) {
    throw new NovaError('invalid_argument', `peers belong to overlays; ${config.name} is ${kind}`, { field: 'peers' });
  }

  const planned = planNetwork(spec, { existing: others, ifPrefix: '', overlayDrivers: [] });
  const next: NetworkConfig = {
    ...config,
    subnet: planned.subnet,
    dhcp: planned.dhcp,
    dns: planned.dns,
    domain: planned.domain,
    egressAllow: planned.egressAllow,
    forwards: planned.forwards,
    peers: update.peers ?? config.peers,
  };
  const changes: PlannedChange[] = [];
  const note = (field: NetworkUpdateField, changed: boolean) => {
    if (changed) changes.push({ field, ...NOTES[field] });
  };
  note('subnet', !same(next.subnet, config.subnet));
  // A new subnet brings its own range: one change, said once.
  const rangeChanged = next.dhcp !== null && config.dhcp !== null && !same(next.dhcp, config.dhcp) && same(next.subnet, config.subnet);
  note('dhcpRange', rangeChanged);
  note('dhcp', (next.dhcp === null) !== (config.dhcp === null));
  note('dns', next.dns !== config.dns);
  note('domain', next.domain !== config.domain);
  note('egressAllow', !same(next.egressAllow, config.egressAllow));
  note('forwards', !same(next.forwards, config.forwards));
  note('peers', update.peers !== undefined && !same(update.peers, config.peers));
  return { next, changes };
}
