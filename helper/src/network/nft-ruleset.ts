// Pure: every Nova network -> one `nft -f` script that replaces Nova's own table
// atomically (add, delete, recreate in one transaction), so the kernel never sees half
// a ruleset and deleting a network removes exactly its chains. No other table is named.
import type { EgressRule, Forward } from '../../../src-shared/network.js';
import type { NetworkConfig } from './network-config.js';

export const DEFAULT_NFT_TABLE = 'nova';

/** Per-network chain names: everything a network owns is named net-NAME-*. */
export function networkChains(name: string): { out: string; in: string; host: string; dnat: string; snat: string } {
  return {
    out: `net-${name}-out`,
    in: `net-${name}-in`,
    host: `net-${name}-host`,
    dnat: `net-${name}-dnat`,
    snat: `net-${name}-snat`,
  };
}

const q = (s: string): string => JSON.stringify(s);

function ifnameSet(names: readonly string[]): string {
  return names.length === 1 ? q(names[0] as string) : `{ ${names.map(q).join(', ')} }`;
}

function ipKeyword(address: string): 'ip' | 'ip6' {
  return address.includes(':') ? 'ip6' : 'ip';
}

function portText(ports: { from: number; to: number }): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}-${ports.to}`;
}

/** One allow-list entry as an nft rule (without its verdict). */
export function egressMatch(rule: EgressRule): string {
  const parts: string[] = [];
  if (rule.destination !== null) parts.push(`${ipKeyword(rule.destination)} daddr ${rule.destination}`);
  if (rule.ports !== null) {
    parts.push(rule.protocol === null ? `meta l4proto { tcp, udp } th dport ${portText(rule.ports)}` : `${rule.protocol} dport ${portText(rule.ports)}`);
  } else if (rule.protocol !== null) {
    parts.push(`meta l4proto ${rule.protocol}`);
  }
  return parts.join(' ');
}

function verdictRule(match: string, verdict: string): string {
  return match === '' ? verdict : `${match} ${verdict}`;
}

function dnatRule(f: Forward): string {
  const kw = ipKeyword(f.guestAddress);
  const target = kw === 'ip6' ? `[${f.guestAddress}]:${f.guestPort}` : `${f.guestAddress}:${f.guestPort}`;
  return `${f.protocol} dport ${f.hostPort} dnat ${kw} to ${target}`;
}

function outChain(net: NetworkConfig): string[] {
  // Routed traffic leaving the network through the host. Traffic that stays on the
  // bridge is not Nova's to filter (it reaches this hook only with br_netfilter loaded).
  const same = `oifname ${q(net.bridge)} accept`;
  if (net.profile === 'internal') return [same, 'drop'];
  const rules = [same, 'oifname @bridges drop'];
  if (net.profile === 'nat' && net.subnet) {
    // Only the network's own addresses may be NATed out (no spoofed sources).
    rules.push(`${ipKeyword(net.subnet.gateway)} saddr != ${net.subnet.cidr} drop`);
    if (net.uplinks.length > 0) rules.push(`oifname != ${ifnameSet(net.uplinks)} drop`);
  }
  if (net.egressAllow !== null) {
    rules.push('ct state established,related accept');
    for (const rule of net.egressAllow) rules.push(verdictRule(egressMatch(rule), 'accept'));
    rules.push('drop');
  } else {
    rules.push('accept');
  }
  return rules;
}

function inChain(net: NetworkConfig): string[] {
  // Routed traffic entering the network: replies, this network's forwards, nothing else.
  const rules = ['ct state established,related accept'];
  for (const f of net.forwards) {
    rules.push(`${ipKeyword(f.guestAddress)} daddr ${f.guestAddress} ${f.protocol} dport ${f.guestPort} ct status dnat accept`);
  }
  rules.push('iifname @bridges drop');
  rules.push(net.profile === 'external' ? 'accept' : 'drop');
  return rules;
}

function hostChain(net: NetworkConfig): string[] {
  // With an egress policy the host itself is a destination like any other, except for
  // the DHCP and DNS that Nova serves on the bridge.
  const rules = ['ct state established,related accept', 'udp dport 67 accept'];
  if (net.dns) rules.push('meta l4proto { tcp, udp } th dport 53 accept');
  for (const rule of net.egressAllow ?? []) rules.push(verdictRule(egressMatch(rule), 'accept'));
  rules.push('drop');
  return rules;
}

function snatChain(net: NetworkConfig): string[] {
  if (net.profile !== 'nat' || !net.subnet) return [];
  const kw = ipKeyword(net.subnet.gateway);
  const cidr = net.subnet.cidr;
  const rules: string[] = [];
  if (kw === 'ip') {
    // Multicast and broadcast never leave, so they are never rewritten (as libvirt does).
    rules.push(`ip saddr ${cidr} ip daddr 224.0.0.0/24 return`, `ip saddr ${cidr} ip daddr 255.255.255.255 return`);
  }
  const out = net.uplinks.length > 0 ? ` oifname ${ifnameSet(net.uplinks)}` : '';
  rules.push(`${kw} saddr ${cidr} ${kw} daddr != ${cidr}${out} masquerade`);
  if (net.forwards.length > 0) {
    // Hairpin: a guest reaching a forwarded host port of its own network. Without this the
    // guest behind the forward answers the caller directly, from an address it never called.
    rules.push(`oifname ${q(net.bridge)} ${kw} saddr ${cidr} ${kw} daddr ${cidr} ct status dnat masquerade`);
  }
  if (localForwards(net)) {
    // A forward reached on the host's 127.0.0.1, as published ports are: the packet leaves
    // for the bridge from a loopback address (allowed by route_localnet), which the guest
    // could never answer, so it takes the gateway's address instead.
    rules.push(`oifname ${q(net.bridge)} ip saddr 127.0.0.0/8 ct status dnat masquerade`);
  }
  return rules;
}

/** Whether the network's forwards must answer on 127.0.0.1: NAT, with an IPv4 forward. */
export function localForwards(net: NetworkConfig): boolean {
  return net.profile === 'nat' && net.subnet !== null && ipKeyword(net.subnet.gateway) === 'ip' && net.forwards.some((f) => ipKeyword(f.guestAddress) === 'ip');
}

/**
 * The kernel's VXLAN socket takes UDP on every address, so a frame with a wireguard
 * overlay's VNI sent in the clear over the underlay would reach its guests past the
 * tunnel. Such a frame is accepted only from the overlay's own WireGuard device; the VNI
 * is the 24 bits after VXLAN's flags (UDP 8 bytes + 4 = bit 96 of the transport header).
 */
export function vxlanGuardRule(net: NetworkConfig): string | null {
  const o = net.overlay;
  if (!o?.wireguard) return null;
  return `iifname != ${q(o.wireguard.interface)} udp dport ${o.port} @th,96,24 ${o.vni} counter drop`;
}

function chainBlock(name: string, rules: readonly string[], hook?: string): string {
  const lines = [`\tchain ${name} {`];
  if (hook) lines.push(`\t\t${hook}`);
  for (const r of rules) lines.push(`\t\t${r}`);
  lines.push('\t}');
  return lines.join('\n');
}

/**
 * The whole script for `nft -f -`. Networks are rendered in name order so the same
 * state always gives the same text (the golden tests rely on it).
 */
export function renderRuleset(networks: readonly NetworkConfig[], table = DEFAULT_NFT_TABLE): string {
  const header = [`add table inet ${table}`, `delete table inet ${table}`];
  if (networks.length === 0) return header.join('\n') + '\n';
  const nets = [...networks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const forward: string[] = [];
  const input: string[] = [];
  const prerouting: string[] = [];
  const output: string[] = [];
  const postrouting: string[] = [];
  const perNetwork: string[] = [];

  for (const net of nets) {
    const c = networkChains(net.name);
    const br = q(net.bridge);
    const guard = vxlanGuardRule(net);
    if (guard) input.push(guard);
    // route_localnet (for forwards on 127.0.0.1) would also let a guest address the host's
    // loopback services through the bridge. A guest never starts a connection from or to a
    // loopback address; only the replies to a forward called on 127.0.0.1 carry one.
    if (localForwards(net)) input.push(`iifname ${br} ip saddr 127.0.0.0/8 ct direction original drop`, `iifname ${br} ip daddr 127.0.0.0/8 ct direction original drop`);
    forward.push(`iifname ${br} jump ${c.out}`, `oifname ${br} jump ${c.in}`);
    perNetwork.push(chainBlock(c.out, outChain(net)), chainBlock(c.in, inChain(net)));
    if (net.egressAllow !== null) {
      input.push(`iifname ${br} jump ${c.host}`);
      perNetwork.push(chainBlock(c.host, hostChain(net)));
    }
    if (net.forwards.length > 0) {
      // Addressed to the host itself, from outside (prerouting) or from the host (output).
      prerouting.push(`fib daddr type local jump ${c.dnat}`);
      output.push(`fib daddr type local jump ${c.dnat}`);
      perNetwork.push(chainBlock(c.dnat, net.forwards.map(dnatRule)));
    }
    const snat = snatChain(net);
    if (snat.length > 0) {
      postrouting.push(`jump ${c.snat}`);
      perNetwork.push(chainBlock(c.snat, snat));
    }
  }

  const bridges = nets.map((n) => q(n.bridge)).join(', ');
  const body = [
    `\tset bridges {\n\t\ttype ifname\n\t\telements = { ${bridges} }\n\t}`,
    chainBlock('forward', forward, 'type filter hook forward priority filter; policy accept;'),
    chainBlock('input', input, 'type filter hook input priority filter; policy accept;'),
    chainBlock('prerouting', prerouting, 'type nat hook prerouting priority dstnat; policy accept;'),
    chainBlock('output', output, 'type nat hook output priority -100; policy accept;'),
    chainBlock('postrouting', postrouting, 'type nat hook postrouting priority srcnat; policy accept;'),
    ...perNetwork,
  ];
  return [...header, `table inet ${table} {`, body.join('\n'), '}'].join('\n') + '\n';
}
