// The tools and kernel pieces Nova networks are built from: iproute2 (driven with
// -json), nftables (driven with -j), dnsmasq for DHCP/DNS, and bridge/tap/veth/vxlan
// support. Only read-only commands are run; nothing on the host's network changes.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { hostPathExists, listHostDir, readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { describeFailure, firstLine, toolVersion, VERSION_TIMEOUT_MS } from './tool-output.js';

export async function checkNetworkTools(env: HostProbeEnv): Promise<HostCheckItem[]> {
  return Promise.all([iproute2Item(env), nftablesItem(env), dnsmasqItem(env), kernelNetItem(env)]);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function iproute2Item(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'iproute2';
  const path = await env.which('ip');
  if (!path) {
    return checkItem('iproute2', 'networking', label, {
      status: 'fail',
      summary: 'ip (iproute2) is not installed: networks cannot be created',
      evidence: ['ip: not found in PATH'],
      remedy: 'Install it: apt install iproute2',
    });
  }
  // -V prints "ip utility, iproute2-6.1.0, libbpf 1.1.2"
  const [v, json] = await Promise.all([
    toolVersion(env, path, ['-V']),
    env.run([path, '-json', 'link', 'show', 'lo'], { timeoutMs: VERSION_TIMEOUT_MS }),
  ]);
  const version = v.ok ? (/iproute2-(\S+?),?(\s|$)/.exec(v.line)?.[1] ?? v.line) : null;
  const jsonOk = json.exitCode === 0 && isJson(json.stdout);
  const evidence = [
    `${path} -V: ${v.ok ? v.line : v.error}`,
    `ip -json link show lo: ${jsonOk ? 'valid JSON' : describeFailure(json, VERSION_TIMEOUT_MS)}`,
  ];
  if (!jsonOk) {
    return checkItem('iproute2', 'networking', label, {
      status: 'fail',
      summary: `${version ? `iproute2 ${version}` : 'iproute2'} has no usable -json output`,
      evidence,
      remedy: 'Upgrade iproute2 (JSON output needs 4.13 or later)',
    });
  }
  return checkItem('iproute2', 'networking', label, {
    status: 'ok',
    summary: `iproute2 ${version ?? 'unknown version'}, JSON output works`,
    evidence,
  });
}

async function nftablesItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'nftables';
  const path = await env.which('nft');
  if (!path) {
    return checkItem('nftables', 'networking', label, {
      status: 'fail',
      summary: 'nft is not installed: NAT and isolation rules cannot be applied',
      evidence: ['nft: not found in PATH'],
      remedy: 'Install it: apt install nftables',
    });
  }
  const v = await toolVersion(env, path);
  const version = v.ok ? (/v(\d+\.\d+(?:\.\d+)?)/.exec(v.line)?.[1] ?? v.line) : null;
  const evidence = [`${path} --version: ${v.ok ? v.line : v.error}`];
  if (!env.isRoot) {
    evidence.push('nft -j list tables: not tried (needs root)');
    return checkItem('nftables', 'networking', label, {
      status: 'warn',
      summary: `${version ? `nftables ${version}` : 'nftables'} found; rule access not verified (not running as root)`,
      evidence,
      remedy: 'Run the host check through the Nova helper (root) to verify',
    });
  }
  const list = await env.run([path, '-j', 'list', 'tables'], { timeoutMs: VERSION_TIMEOUT_MS });
  const listOk = list.exitCode === 0 && isJson(list.stdout);
  evidence.push(`nft -j list tables: ${listOk ? 'valid JSON' : describeFailure(list, VERSION_TIMEOUT_MS)}`);
  if (!listOk) {
    return checkItem('nftables', 'networking', label, {
      status: 'fail',
      summary: 'nft cannot list the ruleset as JSON',
      evidence,
      remedy: 'Check that the nf_tables kernel module is available (modprobe nf_tables) and nft is built with JSON support',
    });
  }
  return checkItem('nftables', 'networking', label, {
    status: 'ok',
    summary: `nftables ${version ?? 'unknown version'}, JSON ruleset access works`,
    evidence,
  });
}

async function dnsmasqItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'dnsmasq';
  const path = await env.which('dnsmasq');
  if (!path) {
    return checkItem('dnsmasq', 'networking', label, {
      status: 'warn',
      summary: 'dnsmasq is not installed: NAT networks get no DHCP or DNS',
      evidence: ['dnsmasq: not found in PATH'],
      remedy: 'Install it: apt install dnsmasq-base',
    });
  }
  const v = await toolVersion(env, path);
  if (!v.ok) {
    return checkItem('dnsmasq', 'networking', label, {
      status: 'warn',
      summary: 'dnsmasq is installed but does not run',
      evidence: [`${path} --version: ${v.error}`],
      remedy: 'Reinstall dnsmasq-base',
    });
  }
  const version = /version\s+(\S+)/i.exec(v.line)?.[1];
  return checkItem('dnsmasq', 'networking', label, {
    status: 'ok',
    summary: `dnsmasq ${version ?? firstLine(v.line)}`,
    evidence: [`${path}: ${v.line}`],
  });
}

type Presence = 'present' | 'absent' | 'unknown';

// A feature is "present" when loaded, built in or installable as a module; "absent"
// only when a module tree exists and says so; otherwise "unknown" (a kernel built
// without modules, as in some sandboxes, may still have it built in).
async function kernelFeature(
  env: HostProbeEnv,
  release: string | null,
  module: string,
  modulePath: string,
  extra: () => Promise<boolean>,
): Promise<Presence> {
  if ((await hostPathExists(env, `/sys/module/${module}`)) || (await extra())) return 'present';
  if (!release) return 'unknown';
  const dir = `/lib/modules/${release}`;
  const [builtin, files] = await Promise.all([
    readHostFile(env, `${dir}/modules.builtin`),
    listHostDir(env, `${dir}/kernel/${modulePath.slice(0, modulePath.lastIndexOf('/'))}`),
  ]);
  const base = modulePath.slice(modulePath.lastIndexOf('/') + 1);
  if (builtin?.split('\n').some((l) => l.trim() === `kernel/${modulePath}`)) return 'present';
  if (files?.some((f) => f === base || f.startsWith(base + '.'))) return 'present';
  return builtin === null && files === null ? 'unknown' : 'absent';
}

async function kernelNetItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'Kernel network support';
  const release = (await readHostFile(env, '/proc/sys/kernel/osrelease'))?.trim() ?? null;
  const never = async () => false;
  const [bridge, tun, veth, vxlan] = await Promise.all([
    kernelFeature(env, release, 'bridge', 'net/bridge/bridge.ko', never),
    kernelFeature(env, release, 'tun', 'drivers/net/tun.ko', () => hostPathExists(env, '/dev/net/tun')),
    kernelFeature(env, release, 'veth', 'drivers/net/veth.ko', never),
    kernelFeature(env, release, 'vxlan', 'drivers/net/vxlan/vxlan.ko', never),
  ]);
  const features: Array<[string, Presence, string]> = [
    ['bridge', bridge, 'networks'],
    ['tun/tap', tun, 'VM NICs'],
    ['veth', veth, 'capsule NICs'],
    ['vxlan', vxlan, 'multi-host networks'],
  ];
  const evidence = features.map(([name, p, use]) => `${name} (${use}): ${p === 'unknown' ? 'not loaded; no module tree to tell whether it is built in' : p}`);
  if (tun === 'present') evidence.push('/dev/net/tun: ' + ((await hostPathExists(env, '/dev/net/tun')) ? 'present' : 'absent'));
  const missing = features.filter(([, p]) => p === 'absent').map(([name]) => name);
  if (missing.length > 0) {
    return checkItem('net-kernel', 'networking', label, {
      status: 'warn',
      summary: `Missing from this kernel: ${missing.join(', ')}`,
      evidence,
      remedy: `Install the kernel's extra modules (e.g. linux-modules-extra) or load them: modprobe ${missing.map((m) => m.split('/')[0]).join(' ')}`,
    });
  }
  const unknown = features.filter(([, p]) => p === 'unknown').map(([name]) => name);
  return checkItem('net-kernel', 'networking', label, {
    status: 'ok',
    summary:
      unknown.length > 0
        ? `${features.filter(([, p]) => p === 'present').map(([n]) => n).join(', ')} available; ${unknown.join(', ')} checked on first use`
        : 'bridge, tun/tap, veth and vxlan available',
    evidence,
  });
}
