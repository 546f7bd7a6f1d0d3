// Every command line the network engine runs, built by pure functions from what it wants
// done: argv and stdin for ip, bridge, nft, sysctl, ss, dnsmasq, wg and wireguard-go.
// command-runner.ts runs them through the ProcessRunner; golden/*.cmds show them verbatim.
import type { DnsmasqPaths } from './dnsmasq-config.js';

export interface NetworkCommand {
  argv: string[];
  /** Written to stdin (the `-batch -` and `-f -` scripts). */
  input?: string;
  /** Why a failure matters, in words: the start of its message ("cannot list network interfaces"). */
  failure: string;
}

function script(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

/** Kernel links and addresses in one process, stopping at the first line that fails. */
export function linkBatch(lines: readonly string[], failure = 'ip could not apply the network change'): NetworkCommand {
  return { argv: ['ip', '-batch', '-'], input: script(lines), failure };
}

/** Each line on its own (`-force`): for removals, where a device already gone must not stop the rest. */
export function forcedLinkBatch(lines: readonly string[]): NetworkCommand {
  return { argv: ['ip', '-force', '-batch', '-'], input: script(lines), failure: 'ip could not remove the network devices' };
}

/** Inside a guest's namespace: its end of the veth up, addressed and routed. */
export function guestLinkBatch(netns: string, lines: readonly string[]): NetworkCommand {
  return { argv: ['ip', '-n', netns, '-batch', '-'], input: script(lines), failure: `cannot configure the interface in namespace ${netns}` };
}

/** Forwarding database entries: where a VXLAN device floods to reach its peers. */
export function fdbBatch(lines: readonly string[], failure: string): NetworkCommand {
  return { argv: ['bridge', '-batch', '-'], input: script(lines), failure };
}

export function listLinks(): NetworkCommand {
  return { argv: ['ip', '-json', '-details', 'addr', 'show'], failure: 'cannot list network interfaces' };
}

/** IPv4 routes of every table: a suggested subnet must not shadow one. */
export function listRoutes(): NetworkCommand {
  return { argv: ['ip', '-json', '-4', 'route', 'show', 'table', 'all'], failure: 'cannot list routes' };
}

export function listNetns(): NetworkCommand {
  return { argv: ['ip', '-json', 'netns', 'list'], failure: 'cannot list network namespaces' };
}

/** One transaction: the whole table as rendered, or nothing. */
export function applyRuleset(ruleset: string): NetworkCommand {
  return { argv: ['nft', '-f', '-'], input: ruleset, failure: 'nft could not apply the network rules' };
}

export function listTable(table: string): NetworkCommand {
  return { argv: ['nft', '-j', 'list', 'table', 'inet', table], failure: `cannot read nftables table ${table}` };
}

export function enableIpv4Forwarding(): NetworkCommand {
  return { argv: ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], failure: 'cannot enable IPv4 forwarding' };
}

/**
 * Lets packets from 127.0.0.1 be routed out of the bridge, so a forward answers on the
 * host's loopback as on its other addresses. The slash form keeps a dot in a name whole.
 */
export function allowLoopbackRouting(bridge: string): NetworkCommand {
  return { argv: ['sysctl', '-q', '-w', `net/ipv4/conf/${bridge}/route_localnet=1`], failure: `cannot let forwards of ${bridge} answer on 127.0.0.1` };
}

/** Listening TCP and UDP sockets, without a header: "tcp LISTEN 0 511 0.0.0.0:8080 0.0.0.0:*". */
export function listListeningSockets(): NetworkCommand {
  return { argv: ['ss', '-Hlntu'], failure: 'cannot list listening sockets' };
}

/** dnsmasq reads everything from its file, checks it, binds, then forks into the background. */
export function startDnsmasq(paths: DnsmasqPaths): NetworkCommand {
  return { argv: ['dnsmasq', `--conf-file=${paths.conf}`], failure: 'dnsmasq did not start' };
}

const WG_KEYS = 'cannot make a WireGuard key pair (is wireguard-tools installed?)';

export function wgGenkey(): NetworkCommand {
  return { argv: ['wg', 'genkey'], failure: WG_KEYS };
}

/** The private key goes through stdin, never into an argv that `ps` shows. */
export function wgPubkey(privateKey: string): NetworkCommand {
  return { argv: ['wg', 'pubkey'], input: `${privateKey}\n`, failure: WG_KEYS };
}

export function wgSetconf(ifname: string, confFile: string): NetworkCommand {
  return { argv: ['wg', 'setconf', ifname, confFile], failure: `cannot configure WireGuard interface ${ifname}` };
}

export function addWireguardLink(ifname: string): NetworkCommand {
  return { argv: ['ip', 'link', 'add', 'name', ifname, 'type', 'wireguard'], failure: `cannot create WireGuard interface ${ifname}` };
}

/** The user-space tunnel where the kernel has no module: it makes a tun device of that name and daemonizes. */
export function startWireguardGo(ifname: string): NetworkCommand {
  return { argv: ['wireguard-go', ifname], failure: `cannot create WireGuard interface ${ifname}` };
}

/** How a golden file shows a command: "$ argv", then its stdin indented. */
export function formatCommand(cmd: NetworkCommand): string {
  const head = `$ ${cmd.argv.join(' ')}\n`;
  if (cmd.input === undefined) return head;
  return head + cmd.input.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).map((l) => `    ${l}\n`).join('');
}
