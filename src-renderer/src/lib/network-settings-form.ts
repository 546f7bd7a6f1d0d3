// The network settings form's model: the fields a network keeps changeable after create
// (subnet while nothing is attached, DHCP range, DNS and domain, egress allow-list), the
// `network.update` they make (only what differs from the network), the errors to show
// beside each field, and what each field's change means for guests, said before saving.
import type { ChangeEffect, Network, NetworkUpdateField, NetworkUpdateInput } from '../../../src-shared/network.js';
import {
  checkDhcpRange,
  dhcpRangeProblem,
  formatEgressRule,
  parseDnsName,
  parseEgressRule,
  parseIpAddress,
  parseSubnet,
  subnetText,
  type EgressRule,
} from '../../../src-shared/vocabulary/index.js';

export interface NetworkSettingsValues {
  readonly subnet: string;
  /** Whether the network runs a DHCP server (off: guests configure their own addresses). */
  readonly dhcp: boolean;
  readonly dhcpStart: string;
  readonly dhcpEnd: string;
  readonly dns: boolean;
  readonly domain: string;
  /** Whether an allow-list applies at all (off: guests reach anything). */
  readonly restrictEgress: boolean;
  /** One rule per line, in the vocabulary's egress syntax. */
  readonly egress: string;
}

export type SettingsField = 'subnet' | 'dhcpStart' | 'dhcpEnd' | 'domain' | 'egress';
export type SettingsErrors = Partial<Record<SettingsField, string>>;

/** What the UI says next to each field, before and after saving. */
export const FIELD_EFFECT: Record<NetworkUpdateField, ChangeEffect> = {
  egressAllow: 'now',
  forwards: 'now',
  peers: 'now',
  subnet: 'now',
  dhcpRange: 'reconnect',
  dhcp: 'reconnect',
  dns: 'reconnect',
  domain: 'reconnect',
};

export function effectText(effect: ChangeEffect): string {
  return effect === 'now' ? 'Takes effect now' : 'Needs the guests to reconnect';
}

export const FIELD_LABEL: Record<NetworkUpdateField, string> = {
  egressAllow: 'Egress allow-list',
  forwards: 'Port forwards',
  peers: 'Peers',
  subnet: 'Subnet',
  dhcpRange: 'DHCP range',
  dhcp: 'DHCP server',
  dns: 'DNS',
  domain: 'Domain',
};

export function settingsOf(n: Network): NetworkSettingsValues {
  const prefix = n.subnet?.split('/')[1];
  return {
    subnet: n.gateway && prefix ? `${n.gateway}/${prefix}` : '',
    dhcp: n.dhcpRange !== null,
    dhcpStart: n.dhcpRange?.start ?? '',
    dhcpEnd: n.dhcpRange?.end ?? '',
    dns: n.dns,
    domain: n.domain ?? '',
    restrictEgress: n.egressAllow !== null,
    egress: (n.egressAllow ?? []).map(formatEgressRule).join('\n'),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export interface SettingsCheck {
  readonly errors: SettingsErrors;
  /** The update to send (fields that differ only), or null while a field is wrong. */
  readonly update: NetworkUpdateInput | null;
}

/** Every error of the form, and the update when there is none. */
export function checkSettings(n: Network, v: NetworkSettingsValues): SettingsCheck {
  const errors: SettingsErrors = {};
  const update: NetworkUpdateInput = { name: n.name };
  const current = settingsOf(n);

  let subnet = n.subnet ? parseSubnet(current.subnet) : null;
  if (v.subnet.trim() !== current.subnet && n.subnet) {
    const parsed = parseSubnet(v.subnet.trim());
    if (!parsed.ok) errors.subnet = parsed.message;
    else if (subnetText(parsed.value.subnet) !== current.subnet) {
      if (n.attachments.length > 0) errors.subnet = `detach the ${n.attachments.length} attached guest${n.attachments.length === 1 ? '' : 's'} first: they hold addresses in ${n.subnet}`;
      else {
        update.subnet = subnetText(parsed.value.subnet);
        subnet = parsed;
      }
    }
  }

  const rangeEdited = v.dhcpStart.trim() !== current.dhcpStart || v.dhcpEnd.trim() !== current.dhcpEnd;
  if (v.dhcp !== current.dhcp) update.dhcp = v.dhcp;
  // A new subnet with the range untouched, or DHCP turned on with no range typed: the
  // helper picks the block's default range. Turned off, the range is not checked at all.
  const rangeTyped = v.dhcpStart.trim() !== '' || v.dhcpEnd.trim() !== '';
  if (v.dhcp && (n.dhcpRange ? rangeEdited || update.subnet === undefined : rangeTyped)) {
    const start = parseIpAddress(v.dhcpStart.trim());
    const end = parseIpAddress(v.dhcpEnd.trim());
    if (!start.ok) errors.dhcpStart = start.message;
    if (!end.ok) errors.dhcpEnd = end.message;
    if (start.ok && end.ok) {
      const range = checkDhcpRange({ start: start.value, end: end.value });
      const problem = !range.ok ? range.message : subnet?.ok ? dhcpRangeProblem(range.value, subnet.value) : undefined;
      if (problem) errors.dhcpEnd = problem;
      else if (range.ok && rangeEdited) update.dhcpRange = range.value;
    }
  }

  if (v.dns !== n.dns) update.dns = v.dns;
  const domain = v.domain.trim().toLowerCase();
  if (v.dns && domain !== (n.domain ?? '')) {
    const parsed = parseDnsName(domain, 'domain');
    if (!parsed.ok) errors.domain = parsed.message;
    else update.domain = parsed.value;
  }

  if (n.profile === 'nat') {
    const rules: EgressRule[] = [];
    for (const line of v.egress.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
      const parsed = parseEgressRule(line);
      if (!parsed.ok) {
        errors.egress ??= parsed.message;
        continue;
      }
      rules.push(parsed.value);
    }
    const next = v.restrictEgress ? rules : null;
    if (!errors.egress && !same(next, n.egressAllow)) update.egressAllow = next;
  }
  return { errors, update: Object.keys(errors).length === 0 ? update : null };
}
