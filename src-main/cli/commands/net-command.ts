// `nova net ls|create|set|rm|inspect` (net-set-command.ts), `nova net forward add|rm|ls`, `nova net peer set|ls`,
// `nova net attach|detach`, `nova net leases`, `nova net repair`: networks through the helper. Flag values use
// the vocabulary's syntaxes (forwards, egress rules, peers, subnets, ranges), the ones the
// NovaFile and the create dialog read, and arrive at the helper parsed.
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { brokenHint } from '../broken-format.js';
import { Option, type Command, InvalidArgumentError } from 'commander';
import {
  NetworkProfileSchema,
  NetworkTypeSchema,
  type DhcpRange,
  type EgressRule,
  type Forward,
  type Network,
  type NetworkSpecInput,
  type Peer,
} from '../../../src-shared/network.js';
import {
  formatPeer,
  parseDhcpRange,
  parseDnsName,
  parseEgressRule,
  parseForward,
  parseInterfaceName,
  parsePeer,
  parsePortWithProtocol,
} from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';
import { defineSetCommand, formatUpdate, subnetArg, updateSpec, type NetSetOptions } from './net-set-command.js';
import { nameArg, repeated, single, wholeNumber } from './option-parsers.js';

export interface NetCreateOptions {
  type?: NetworkSpecInput['type'];
  profile?: NetworkSpecInput['profile'];
  uplink?: string[];
  subnet?: string;
  dhcpRange?: DhcpRange;
  dhcp?: boolean;
  dns?: boolean;
  domain?: string;
  driver?: string;
  vni?: number;
  peer?: Peer[];
  listenPort?: number;
  egressAllow?: EgressRule[];
  forward?: Forward[];
}

/** The `network.create` params for `nova net create NAME [flags]`. */
export function createSpec(name: string, o: NetCreateOptions): NetworkSpecInput {
  const spec: NetworkSpecInput = { name };
  if (o.type) spec.type = o.type;
  if (o.profile) spec.profile = o.profile;
  if (o.uplink) spec.uplinks = o.uplink;
  if (o.subnet) spec.subnet = o.subnet;
  if (o.dhcpRange) spec.dhcpRange = o.dhcpRange;
  if (o.dhcp === false) spec.dhcp = false;
  if (o.dns === false) spec.dns = false;
  if (o.domain) spec.domain = o.domain;
  if (o.driver) spec.driver = o.driver;
  if (o.vni !== undefined) spec.vni = o.vni;
  if (o.peer) spec.peers = o.peer;
  if (o.listenPort !== undefined) spec.listenPort = o.listenPort;
  if (o.egressAllow) spec.egressAllow = o.egressAllow;
  if (o.forward) spec.forwards = o.forward;
  return spec;
}

/** Adds the `create` subcommand's flags; exported so tests parse real argv exactly as the CLI does. */
export function defineCreateCommand(cmd: Command): Command {
  return cmd
    .argument('<name>', 'network name (also its bridge name: at most 15 characters)', nameArg('network'))
    .addOption(new Option('--type <type>', 'bridge or overlay').choices(NetworkTypeSchema.options))
    .addOption(new Option('--profile <profile>', 'nat, external or internal').choices(NetworkProfileSchema.options))
    .option('--uplink <ifname>', 'host interface: the way out (nat), bridged (external) or underlay (overlay); repeatable', repeated(parseInterfaceName))
    .option('--subnet <cidr>', "the host's address with a prefix, e.g. 192.168.220.1/24", subnetArg)
    .option('--dhcp-range <first-last>', 'DHCP pool inside the subnet, e.g. 192.168.220.50-192.168.220.150', single(parseDhcpRange))
    .option('--no-dhcp', 'no DHCP server')
    .option('--no-dns', 'no DNS for guests')
    .option('--domain <domain>', 'DNS domain for guests (default NAME.nova)', single((t) => parseDnsName(t, 'domain')))
    .option('--driver <driver>', 'overlay driver (vxlan, or wireguard: VXLAN inside an encrypted WireGuard tunnel)')
    .option('--vni <n>', 'VXLAN network identifier', wholeNumber('--vni', 1, 16_777_215))
    .option('--peer <address>', 'overlay peer "ip[:port]", for wireguard "KEY@ip[:port]" (KEY from `nova net inspect` there); repeatable', repeated(parsePeer))
    .option('--listen-port <port>', 'wireguard: UDP port of this host\'s tunnel (default 51820)', wholeNumber('--listen-port', 1, 65_535))
    .option('--egress-allow <rule>', 'allow only this egress ("10.0.0.0/8", "1.2.3.4:443/tcp", "53/udp"); repeatable', repeated(parseEgressRule))
    .option('--forward <spec>', 'forward "hostport:guestaddr:guestport[/proto]"; repeatable', repeated(parseForward));
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

function stateText(net: Network): string {
  return net.status.state === 'active' ? 'active' : `${net.status.state} (${net.status.reasons.join('; ')})`;
}

export function formatNetworkList(networks: readonly Network[], broken: readonly BrokenRecord[] = []): string {
  if (networks.length === 0 && broken.length === 0) return 'No networks. Create one with: nova net create NAME --subnet 10.203.0.1/24\n';
  const hint = brokenHint(broken, 'nova net rm');
  return (
    formatTable([
      ['NAME', 'PROFILE', 'SUBNET', 'ATTACHED', 'STATE'],
      ...networks.map((n) => [n.name, n.type === 'overlay' ? `overlay/${n.profile}` : n.profile, n.subnet ?? '-', String(n.attachments.length), stateText(n)]),
      ...broken.map((b) => [b.name, '-', '-', '-', `broken (${b.stateReason})`]),
    ]) + (hint ? `${hint.trimStart()}\n` : '')
  );
}

export function formatNetwork(n: Network): string {
  const lines = [
    `Name:      ${n.name}`,
    `Project:   ${n.project ?? '- (unmanaged)'}`,
    `Profile:   ${n.type === 'overlay' ? `overlay (${n.driver}, VNI ${n.vni})` : 'bridge'} ${n.profile}`,
    `State:     ${stateText(n)}`,
    `Bridge:    ${n.bridge}`,
    `Subnet:    ${n.subnet ? `${n.subnet} (host ${n.gateway})` : '-'}`,
    `DHCP:      ${n.dhcpRange ? `${n.dhcpRange.start} - ${n.dhcpRange.end}` : 'off'}`,
    `DNS:       ${n.dns ? `*.${n.domain}` : 'off'}`,
    `Uplinks:   ${n.uplinks.join(', ') || '-'}`,
  ];
  if (n.peers.length > 0) lines.push(`Peers:     ${n.peers.map(formatPeer).join(', ')}`);
  // What the other hosts list as their peer: "KEY@this-host:PORT".
  if (n.wireguard) lines.push(`WireGuard: public key ${n.wireguard.publicKey}, port ${n.wireguard.listenPort}/udp, ${n.wireguard.interface} (${n.wireguard.tunnelAddress})`);
  lines.push(`Egress:    ${n.egressAllow === null ? 'anything' : n.egressAllow.length === 0 ? 'nothing' : `only ${n.egressAllow.length} rule(s)`}`);
  lines.push(`Forwards:  ${n.forwards.map((f) => `${f.hostPort}/${f.protocol} -> ${f.guestAddress}:${f.guestPort}`).join(', ') || '-'}`);
  lines.push('Attached:');
  if (n.attachments.length === 0) lines.push('  (none)');
  for (const a of n.attachments) {
    lines.push(`  ${a.resource}  ${a.kind} ${a.hostIfname}  ${a.mac}  ${a.address ?? 'dhcp'}  ${a.hostname}${a.present ? '' : '  (not present)'}`);
  }
  return lines.join('\n') + '\n';
}

export function formatPeers(n: Network): string {
  if (n.peers.length === 0) {
    return `${n.name} has no peers.${n.wireguard ? ` Add the other hosts with: nova net peer set ${n.name} KEY@ADDRESS[:PORT] ...` : ''}\n`;
  }
  return formatTable([
    n.wireguard ? ['PUBLIC KEY', 'ENDPOINT'] : ['ENDPOINT'],
    ...n.peers.map((p) => {
      const endpoint = formatPeer({ host: p.host, port: p.port });
      return n.wireguard ? [p.publicKey ?? '-', endpoint] : [endpoint];
    }),
  ]);
}

export function formatRepair(r: { checked: string[]; repaired: string[]; problems: Array<{ network: string; message: string }> }): string {
  const lines: string[] = [];
  if (r.checked.length === 0) lines.push('No networks to repair');
  else if (r.repaired.length === 0) lines.push(`Nothing was missing (${r.checked.join(', ')})`);
  else lines.push(`Repaired ${r.repaired.join(', ')}`);
  for (const p of r.problems) lines.push(`Problem on ${p.network}: ${p.message}`);
  return lines.join('\n') + '\n';
}

export function registerNetCommand(program: Command, ctx: CliContext): void {
  const net = program.command('net').alias('network').description('Networks: bridges (nat, external, internal) and overlays');
  const json = (opts: { json?: boolean }) => opts.json === true || ctx.globals().json;
  const withHelper = async <T>(work: (helper: HelperClient) => Promise<T>): Promise<T> => {
    const helper = await ctx.connectHelper();
    try {
      return await work(helper);
    } finally {
      helper.close();
    }
  };
  const print = (text: string) => ctx.io.stdout(text);
  const printJson = (value: unknown) => print(JSON.stringify(value, null, 2) + '\n');

  net
    .command('ls')
    .description('List networks')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const listed = await h.call('network.list', {});
        if (json(opts)) printJson(listed);
        else print(formatNetworkList(listed.networks, listed.broken));
      }),
    );

  defineCreateCommand(net.command('create').description('Create a network'))
    .option('--json', 'print the created network as JSON')
    .action((name: string, opts: NetCreateOptions & { json?: boolean }) =>
      withHelper(async (h) => {
        const created = await callOperation(h, 'network.create', createSpec(name, opts), { write: ctx.io.stderr, style: progressStyleFor(json(opts)) });
        if (json(opts)) printJson(created);
        else print(formatNetwork(created));
      }),
    );

  net
    .command('rm')
    .description('Delete a network and everything attached to it')
    .argument('<name>')
    .action((name: string) =>
      withHelper(async (h) => {
        await h.call('network.delete', { name });
        if (ctx.globals().json) printJson({ deleted: name });
        else print(`Deleted network ${name}\n`);
      }),
    );

  net
    .command('inspect')
    .description('Show a network: status, attachments, forwards, egress policy')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const n = await h.call('network.get', { name });
        if (json(opts)) printJson(n);
        else print(formatNetwork(n));
      }),
    );

  net
    .command('repair')
    .description("Put back what is missing from networks' kernel side (bridge, taps, nftables rules, dnsmasq), e.g. after `nft flush ruleset`")
    .argument('[name]', 'only this network')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const report = await h.call('network.repair', name === undefined ? {} : { name });
        if (json(opts)) printJson(report);
        else print(formatRepair(report));
        // Exit 1 when something could not be put back, so scripts and timers notice.
        if (report.problems.length > 0) process.exitCode = 1;
      }),
    );

  net
    .command('leases')
    .description("DHCP leases handed out on a network")
    .argument('<network>')
    .option('--json', 'print JSON')
    .action((network: string, opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const { leases } = await h.call('network.leases', { network });
        if (json(opts)) printJson(leases);
        else print(formatTable([['ADDRESS', 'MAC', 'HOSTNAME', 'EXPIRES'], ...leases.map((l) => [l.address, l.mac, l.hostname ?? '-', l.expiresAt ?? 'never'])]));
      }),
    );

  const forward = net.command('forward').description('Port forwards from host ports to guests');
  forward
    .command('add')
    .description('Forward a host port: nova net forward add NETWORK 8080:10.203.0.10:80[/tcp]')
    .argument('<network>')
    .argument('<forward>', 'hostport:guestaddress:guestport[/tcp|/udp]', single(parseForward))
    .action((network: string, f: Forward) =>
      withHelper(async (h) => {
        const r = await h.call('network.forwardAdd', { network, forward: f });
        if (ctx.globals().json) printJson(r.forwards);
        else print(`Forwarding host port ${f.hostPort}/${f.protocol} to ${f.guestAddress}:${f.guestPort} on ${network}\n`);
      }),
    );
  forward
    .command('rm')
    .description('Remove a forward: nova net forward rm NETWORK 8080[/tcp]')
    .argument('<network>')
    .argument('<hostport>', 'host port with an optional /tcp or /udp', single((t) => parsePortWithProtocol(t, 'host port')))
    .action((network: string, { port, protocol }: { port: number; protocol: 'tcp' | 'udp' }) =>
      withHelper(async (h) => {
        await h.call('network.forwardRemove', { network, hostPort: port, protocol });
        print(`Removed the forward of host port ${port}/${protocol} on ${network}\n`);
      }),
    );
  forward
    .command('ls')
    .description("A network's port forwards")
    .argument('<network>')
    .option('--json', 'print JSON')
    .action((network: string, opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const { forwards } = await h.call('network.forwardList', { network });
        if (json(opts)) printJson(forwards);
        else if (forwards.length === 0) print(`No forwards on ${network}\n`);
        else print(formatTable([['HOST PORT', 'GUEST'], ...forwards.map((f) => [`${f.hostPort}/${f.protocol}`, `${f.guestAddress}:${f.guestPort}`])]));
      }),
    );

  defineSetCommand(net.command('set').description('Change a network after create: egress, DHCP range, DNS, domain, forwards, peers (the subnet while nothing is attached)'))
    .option('--json', 'print the result as JSON')
    .action((name: string, opts: NetSetOptions & { json?: boolean }) =>
      withHelper(async (h) => {
        const result = await callOperation(h, 'network.update', updateSpec(name, opts), { write: ctx.io.stderr, style: progressStyleFor(json(opts)) });
        if (json(opts)) printJson(result);
        else print(formatUpdate(name, result));
      }),
    );

  const peer = net.command('peer').description("A wireguard overlay's peers: the other hosts, each as KEY@address[:port]");
  peer
    .command('set')
    .description("Replace an overlay's peers: nova net peer set NETWORK KEY@192.0.2.2[:51820] ... (KEY from `nova net inspect` on that host)")
    .argument('<network>')
    .argument('[peers...]', 'KEY@address[:port] for each other host', repeated(parsePeer))
    .option('--none', 'remove every peer (the tunnel then reaches no other host)')
    .option('--json', 'print the network as JSON')
    .action((network: string, peers: Peer[] | undefined, opts: { none?: boolean; json?: boolean }) =>
      withHelper(async (h) => {
        const list = peers ?? [];
        // Replacing with nothing cuts this host off: only on purpose.
        if (list.length === 0 && !opts.none) throw new InvalidArgumentError('name at least one peer as KEY@address[:port], or pass --none to remove them all');
        if (list.length > 0 && opts.none) throw new InvalidArgumentError('--none removes every peer; give either peers or --none');
        const n = await h.call('network.setPeers', { name: network, peers: list });
        if (json(opts)) printJson(n);
        else print(`Peers of ${network} set (${n.peers.length}).\n${formatPeers(n)}`);
      }),
    );
  peer
    .command('ls')
    .description("An overlay's peers")
    .argument('<network>')
    .option('--json', 'print JSON')
    .action((network: string, opts: { json?: boolean }) =>
      withHelper(async (h) => {
        const n = await h.call('network.get', { name: network });
        if (json(opts)) printJson(n.peers);
        else print(formatPeers(n));
      }),
    );

  net
    .command('attach')
    .description("Attach a VM's tap or a capsule's veth to a network")
    .argument('<network>')
    .argument('<resource>', 'the VM or capsule name', nameArg('attachment'))
    .addOption(new Option('--kind <kind>', 'tap (VM) or veth (capsule)').choices(['tap', 'veth']).default('veth'))
    .option('--netns <name>', "veth: the capsule's named network namespace")
    .option('--ifname <name>', 'veth: the interface name inside it (default eth0)', single(parseInterfaceName))
    .option('--address <ip[/prefix]>', 'static address (default: DHCP)')
    .option('--json', 'print JSON')
    .action((network: string, resource: string, opts: { kind: 'tap' | 'veth'; netns?: string; ifname?: string; address?: string; json?: boolean }) =>
      withHelper(async (h) => {
        const a = await h.call('network.attach', {
          network,
          resource,
          kind: opts.kind,
          ...(opts.netns ? { netns: opts.netns } : {}),
          ...(opts.ifname ? { guestIfname: opts.ifname } : {}),
          ...(opts.address ? { address: opts.address } : {}),
        });
        if (json(opts)) printJson(a);
        else print(`Attached ${resource} to ${network}: ${a.kind} ${a.hostIfname}, MAC ${a.mac}, ${a.address ?? 'DHCP'}, ${a.hostname}\n`);
      }),
    );

  net
    .command('detach')
    .description('Detach a VM or capsule from a network')
    .argument('<network>')
    .argument('<resource>')
    .action((network: string, resource: string) =>
      withHelper(async (h) => {
        await h.call('network.detach', { network, resource });
        print(`Detached ${resource} from ${network}\n`);
      }),
    );
}
