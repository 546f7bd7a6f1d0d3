// `nova net set NAME [flags]` (also `nova network set`): changes a network after create
// through `network.update`, an operation (progress, Ctrl+C cancels and puts everything
// back), and prints per field whether it took effect now or when guests reconnect.
import { InvalidArgumentError, type Command } from 'commander';
import type { DhcpRange, EgressRule, Forward, NetworkUpdateInput, NetworkUpdateResult, Peer } from '../../../src-shared/network.js';
import { parseDhcpRange, parseDnsName, parseEgressRule, parseForward, parsePeer, parseSubnet, subnetText } from '../../../src-shared/vocabulary/index.js';
import { nameArg, repeated, single } from './option-parsers.js';

export interface NetSetOptions {
  subnet?: string;
  dhcpRange?: DhcpRange;
  dhcp?: boolean;
  dns?: boolean;
  domain?: string;
  egressAllow?: EgressRule[];
  egressAny?: boolean;
  forward?: Forward[];
  noForwards?: boolean;
  peer?: Peer[];
}

/** "192.168.220.1/24" (or the block, "192.168.220.0/24"), canonical; `create` reads it too. */
export const subnetArg = single((text) => {
  const parsed = parseSubnet(text);
  return parsed.ok ? { ok: true as const, value: subnetText(parsed.value.subnet) } : parsed;
});

/** Adds the `set` subcommand's flags; exported so tests parse real argv exactly as the CLI does. */
export function defineSetCommand(cmd: Command): Command {
  return cmd
    .argument('<name>', 'the network to change', nameArg('network'))
    .option('--subnet <cidr>', 'new subnet, "10.250.2.1/24" or "10.250.2.0/24" (only while nothing is attached)', subnetArg)
    .option('--dhcp-range <first-last>', 'new DHCP pool inside the subnet, e.g. 192.168.220.50-192.168.220.150', single(parseDhcpRange))
    .option('--dhcp', 'run a DHCP server')
    .option('--no-dhcp', 'no DHCP server')
    .option('--dns', 'serve DNS to guests')
    .option('--no-dns', 'no DNS for guests')
    .option('--domain <domain>', 'DNS domain for guests', single((t) => parseDnsName(t, 'domain')))
    .option('--egress-allow <rule>', 'the whole new allow-list, one rule per flag ("10.0.0.0/8", "1.2.3.4:443/tcp"); repeatable', repeated(parseEgressRule))
    .option('--egress-any', 'remove the egress allow-list: guests may reach anything')
    .option('--forward <spec>', 'the whole new list of forwards "hostport:guestaddr:guestport[/proto]"; repeatable', repeated(parseForward))
    .option('--no-forwards', 'remove every port forward')
    .option('--peer <peer>', "the whole new list of a wireguard overlay's peers, KEY@address[:port]; repeatable", repeated(parsePeer));
}

/** The `network.update` params for `nova net set NAME [flags]`; a flag not given leaves its field as it is. */
export function updateSpec(name: string, o: NetSetOptions): NetworkUpdateInput {
  if (o.egressAllow && o.egressAny) throw new InvalidArgumentError('--egress-any removes the allow-list; give either --egress-allow rules or --egress-any');
  // commander sets `forwards: false` for --no-forwards (the negation of an implied --forwards).
  const noForwards = (o as { forwards?: boolean }).forwards === false || o.noForwards === true;
  if (o.forward && noForwards) throw new InvalidArgumentError('--no-forwards removes every forward; give either --forward or --no-forwards');
  const spec: NetworkUpdateInput = { name };
  if (o.subnet !== undefined) spec.subnet = o.subnet;
  if (o.dhcpRange) spec.dhcpRange = o.dhcpRange;
  if (o.dhcp !== undefined) spec.dhcp = o.dhcp;
  if (o.dns !== undefined) spec.dns = o.dns;
  if (o.domain) spec.domain = o.domain;
  if (o.egressAllow) spec.egressAllow = o.egressAllow;
  if (o.egressAny) spec.egressAllow = null;
  if (o.forward) spec.forwards = o.forward;
  if (noForwards) spec.forwards = [];
  if (o.peer) spec.peers = o.peer;
  if (Object.keys(spec).length === 1) throw new InvalidArgumentError('say what to change, e.g. --egress-allow 10.0.0.0/8:443/tcp or --dhcp-range FIRST-LAST (see nova net set --help)');
  return spec;
}

const FIELD_WORDS: Record<NetworkUpdateResult['changes'][number]['field'], string> = {
  egressAllow: 'egress allow-list',
  dhcpRange: 'DHCP range',
  dhcp: 'DHCP server',
  dns: 'DNS',
  domain: 'domain',
  forwards: 'port forwards',
  peers: 'peers',
  subnet: 'subnet',
};

export function formatUpdate(name: string, r: NetworkUpdateResult): string {
  if (r.changes.length === 0) return `Nothing to change: ${name} already has these settings.\n`;
  const lines = [`Changed ${name}:`];
  for (const c of r.changes) lines.push(`  ${FIELD_WORDS[c.field]}: ${c.effect === 'now' ? 'takes effect now' : 'needs the guests to reconnect'} (${c.note})`);
  return lines.join('\n') + '\n';
}
