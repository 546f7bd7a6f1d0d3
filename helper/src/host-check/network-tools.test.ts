import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkNetworkTools } from './network-tools.js';
import { FakeHost, isCall } from './testing/fake-host.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
  await host.file('/proc/sys/kernel/osrelease', '6.1.0-28-amd64\n');
});
afterEach(async () => host.dispose());

async function installAll() {
  await host.tool('/usr/sbin/ip');
  await host.tool('/usr/sbin/nft');
  await host.tool('/usr/sbin/dnsmasq');
  host.onRun((argv) => {
    if (isCall(argv, 'ip', '-V')) return { stdout: 'ip utility, iproute2-6.1.0, libbpf 1.1.2\n' };
    if (isCall(argv, 'ip', '-json')) return { stdout: '[{"ifindex":1,"ifname":"lo"}]\n' };
    if (isCall(argv, 'nft', '--version')) return { stdout: 'nftables v1.0.6 (Lester Gooch #5)\n' };
    if (isCall(argv, 'nft', '-j', 'list', 'tables')) return { stdout: '{"nftables": [{"metainfo": {"version": "1.0.6"}}]}\n' };
    if (isCall(argv, 'dnsmasq', '--version')) return { stdout: 'Dnsmasq version 2.90  Copyright (c) 2000-2024 Simon Kelley\n' };
    return undefined;
  });
}

function find(items: HostCheckItem[], id: string): HostCheckItem {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`no item ${id}`);
  return item;
}

describe('network tools', () => {
  it('reports versions and that the JSON interfaces work', async () => {
    await installAll();
    await host.dir('/sys/module/bridge');
    await host.dir('/sys/module/vxlan');
    await host.file('/dev/net/tun');
    await host.file('/lib/modules/6.1.0-28-amd64/kernel/drivers/net/veth.ko.xz');
    const items = await checkNetworkTools(host.env());
    expect(find(items, 'iproute2').summary).toBe('iproute2 6.1.0, JSON output works');
    expect(find(items, 'nftables').summary).toBe('nftables 1.0.6, JSON ruleset access works');
    expect(find(items, 'dnsmasq').summary).toBe('dnsmasq 2.90');
    const kernel = find(items, 'net-kernel');
    expect(kernel.status).toBe('ok');
    expect(kernel.summary).toBe('bridge, tun/tap, veth and vxlan available');
    expect(items.every((i) => i.status === 'ok')).toBe(true);
  });

  it('does not ask nft for the ruleset when not root', async () => {
    await installAll();
    const items = await checkNetworkTools(host.env({ isRoot: false }));
    expect(find(items, 'nftables').status).toBe('warn');
    expect(host.callsOf('nft').map((a) => a[1])).toEqual(['--version']);
  });

  it('fails iproute2 without JSON support and warns without dnsmasq', async () => {
    await host.tool('/usr/sbin/ip');
    host.onRun((argv) => {
      if (isCall(argv, 'ip', '-V')) return { stdout: 'ip utility, iproute2-ss170501\n' };
      if (isCall(argv, 'ip', '-json')) return { exitCode: 255, stderr: 'Option "-json" is unknown, try "ip -help".\n' };
      return undefined;
    });
    const items = await checkNetworkTools(host.env());
    const ip = find(items, 'iproute2');
    expect(ip.status).toBe('fail');
    expect(ip.evidence.join('\n')).toContain('Option "-json" is unknown');
    expect(find(items, 'nftables').status).toBe('fail');
    expect(find(items, 'dnsmasq').status).toBe('warn');
  });

  it('warns about a kernel feature only when the module tree says it is missing', async () => {
    await host.dir('/sys/module/bridge');
    await host.file('/dev/net/tun');
    await host.file('/lib/modules/6.1.0-28-amd64/modules.builtin', 'kernel/net/bridge/bridge.ko\n');
    await host.dir('/lib/modules/6.1.0-28-amd64/kernel/drivers/net');
    const kernel = find(await checkNetworkTools(host.env()), 'net-kernel');
    expect(kernel.status).toBe('warn');
    expect(kernel.summary).toBe('Missing from this kernel: veth, vxlan');
  });

  it('says "checked on first use" when there is no module tree to tell', async () => {
    await host.dir('/sys/module/bridge');
    const kernel = find(await checkNetworkTools(host.env()), 'net-kernel');
    expect(kernel.status).toBe('ok');
    expect(kernel.summary).toBe('bridge available; tun/tap, veth, vxlan checked on first use');
  });
});
