// Pure: a network's dnsmasq configuration and its two re-readable files (DHCP hosts by
// MAC, DNS records for static guests), and the lease file parser. dnsmasq-instance.ts
// writes these and runs the process.
import type { DhcpLease } from '../../../src-shared/network.js';
import { guestHostLabel, networkMtu, type AttachmentRecord, type NetworkConfig } from './network-config.js';
import { parseCidr, formatIp } from '../../../src-shared/ip-cidr.js';

export interface DnsmasqPaths {
  dir: string;
  conf: string;
  pidFile: string;
  leases: string;
  dhcpHosts: string;
  hosts: string;
  log: string;
}

export function dnsmasqPaths(dir: string): DnsmasqPaths {
  return {
    dir,
    conf: `${dir}/dnsmasq.conf`,
    pidFile: `${dir}/dnsmasq.pid`,
    leases: `${dir}/dnsmasq.leases`,
    dhcpHosts: `${dir}/dhcp-hosts`,
    hosts: `${dir}/hosts`,
    log: `${dir}/dnsmasq.log`,
  };
}

export interface DnsmasqOptions {
  /** Forward other names to the host's resolvers; off in tests so no query leaves. */
  upstreamDns: boolean;
}

function netmask(prefix: number): string {
  const value = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
  return formatIp({ family: 4, value });
}

export function renderDnsmasqConf(config: NetworkConfig, paths: DnsmasqPaths, opts: DnsmasqOptions): string {
  const subnet = config.subnet;
  if (!subnet) throw new Error(`network ${config.name} has no subnet for dnsmasq`);
  const lines = [
    `# Nova network ${config.name}: generated on every change, do not edit.`,
    `pid-file=${paths.pidFile}`,
    `log-facility=${paths.log}`,
    `interface=${config.bridge}`,
    // bind-dynamic: keep serving when the bridge is deleted and created again.
    'bind-dynamic',
    'except-interface=lo',
    'no-hosts',
    'strict-order',
  ];
  if (config.dns) {
    lines.push(
      `domain=${config.domain}`,
      `local=/${config.domain}/`,
      'domain-needed',
      'bogus-priv',
      'expand-hosts',
      `addn-hosts=${paths.hosts}`,
    );
    if (!opts.upstreamDns) lines.push('no-resolv');
  } else {
    lines.push('port=0');
  }
  if (config.dhcp) {
    lines.push(
      `dhcp-range=${config.dhcp.start},${config.dhcp.end},${netmask(subnet.prefix)},1h`,
      `dhcp-leasefile=${paths.leases}`,
      `dhcp-hostsfile=${paths.dhcpHosts}`,
      'dhcp-authoritative',
      'dhcp-no-override',
      // Only a NAT network has a way out; an internal one gets no default route.
      config.profile === 'nat' ? `dhcp-option=option:router,${subnet.gateway}` : 'dhcp-option=option:router',
      config.dns ? `dhcp-option=option:dns-server,${subnet.gateway}` : 'dhcp-option=option:dns-server',
    );
    // A VM's NIC is not Nova's to size: DHCP tells the guest the overlay's smaller MTU.
    const mtu = networkMtu(config);
    if (mtu !== null) lines.push(`dhcp-option=option:mtu,${mtu}`);
  }
  return lines.join('\n') + '\n';
}

/** dhcp-host lines: each DHCP guest's MAC gets its name, so it resolves as NAME.<domain>. */
export function renderDhcpHosts(attachments: readonly AttachmentRecord[]): string {
  return attachments
    .filter((a) => a.address === null)
    .map((a) => `${a.mac},${guestHostLabel(a.resource)}\n`)
    .join('');
}

/** hosts lines for statically addressed guests (and the host itself as "host"). */
export function renderHosts(config: NetworkConfig, attachments: readonly AttachmentRecord[]): string {
  const lines: string[] = [];
  if (config.subnet) lines.push(`${config.subnet.gateway} host.${config.domain}`);
  for (const a of attachments) {
    if (a.address === null) continue;
    const cidr = parseCidr(a.address);
    if (!cidr) continue;
    const label = guestHostLabel(a.resource);
    lines.push(`${formatIp(cidr.address)} ${label}.${config.domain} ${label}`);
  }
  return lines.map((l) => l + '\n').join('');
}

/** dnsmasq's lease file: "EXPIRY MAC IP HOSTNAME CLIENTID" per line; EXPIRY 0 means never. */
export function parseLeases(text: string): DhcpLease[] {
  const leases: DhcpLease[] = [];
  for (const line of text.split('\n')) {
    const [expiry, mac, address, hostname] = line.trim().split(/\s+/);
    if (!expiry || !mac || !address || !/^\d+$/.test(expiry)) continue;
    leases.push({
      mac: mac.toLowerCase(),
      address,
      hostname: hostname && hostname !== '*' ? hostname : null,
      expiresAt: expiry === '0' ? null : new Date(Number(expiry) * 1000).toISOString(),
    });
  }
  return leases;
}
