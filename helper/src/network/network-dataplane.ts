// The kernel side of every network, in one place: links (bridge-manager), the shared
// nftables table (nft-firewall), WireGuard tunnels, one dnsmasq per network and IPv4
// forwarding. The engine's create, recovery and attach steps compose these calls.
import { join } from 'node:path';
import { runChecked, type CommandRunner } from './command-runner.js';
import { BridgeManager, teardownLines } from './bridge-manager.js';
import { dnsmasqPaths } from './dnsmasq-config.js';
import { DnsmasqInstance } from './dnsmasq-instance.js';
import { readHostLinks } from './host-links.js';
import { stableMac } from './interface-names.js';
import { needsDnsmasq, type NetworkConfig, type NetworkRecord } from './network-config.js';
import { enableIpv4Forwarding } from './network-commands.js';
import type { Observed } from './network-status.js';
import { NftFirewall } from './nft-firewall.js';
import { WireguardTunnel } from './wireguard-tunnel.js';

export interface DataplaneOptions {
  runDir: string;
  nftTable: string;
  /** Where WireGuard keys live (beside the network records). */
  keyDir: string;
  upstreamDns: boolean;
  /** The networks whose rules belong in the table right now. */
  networks: () => readonly NetworkConfig[];
}

export type DnsmasqSync = 'ensure' | 'restart' | 'reload';

export class NetworkDataplane {
  readonly links: BridgeManager;
  readonly firewall: NftFirewall;
  readonly wireguard: WireguardTunnel;
  private forwarding = false;

  constructor(
    readonly runner: CommandRunner,
    private readonly o: DataplaneOptions,
  ) {
    this.links = new BridgeManager(runner);
    this.firewall = new NftFirewall(runner, o.nftTable, o.networks);
    this.wireguard = new WireguardTunnel(runner, { keyDir: o.keyDir });
  }

  dnsmasq(config: NetworkConfig): DnsmasqInstance {
    return new DnsmasqInstance(this.runner, dnsmasqPaths(join(this.o.runDir, config.name)), { upstreamDns: this.o.upstreamDns });
  }

  /** Once per helper start (recovery asks again): NAT networks route through the host. */
  async ensureForwarding(signal?: AbortSignal): Promise<void> {
    if (this.forwarding || !this.o.networks().some((c) => c.profile === 'nat')) return;
    await runChecked(this.runner, enableIpv4Forwarding(), signal);
    this.forwarding = true;
  }

  /** Recovery checks forwarding again: someone may have turned it off while the helper was away. */
  forgetForwarding(): void {
    this.forwarding = false;
  }

  /** Writes the network's dnsmasq files, then starts, restarts or reloads it as asked. */
  async syncDnsmasq(record: NetworkRecord, how: DnsmasqSync): Promise<void> {
    if (!needsDnsmasq(record.config)) return;
    const d = this.dnsmasq(record.config);
    await d.writeFiles(record.config, record.attachments);
    if (how === 'restart') {
      await d.stop();
      await d.start();
    } else if (how === 'ensure') {
      await d.ensureRunning();
    } else {
      const { started } = await d.ensureRunning();
      if (!started) await d.reload();
    }
  }

  /** dnsmasq stopped and its files gone: for undo, where nothing may stop the rest. */
  async removeDnsmasq(config: NetworkConfig): Promise<void> {
    const d = this.dnsmasq(config);
    await d.stop().catch(() => undefined);
    await d.removeFiles().catch(() => undefined);
  }

  /**
   * Removes everything of a network from the kernel; the caller has already dropped it
   * from the networks whose rules belong in the table. Independent objects go side by side.
   */
  async teardown(record: NetworkRecord): Promise<void> {
    const d = this.dnsmasq(record.config);
    await settleAll([
      d.stop(),
      this.links.forceBatch(teardownLines(record.config, record.attachments)).then(() => this.wireguard.remove(record.config)),
      this.firewall.sync(),
    ]);
    await d.removeFiles();
  }

  /**
   * What a network whose record cannot be read is known by from its name alone: its
   * dnsmasq (its files are in the folder named after it) and its bridge (named after it,
   * with the MAC Nova derives from the name, so another interface of that name is kept).
   */
  async teardownByName(name: string): Promise<void> {
    const d = new DnsmasqInstance(this.runner, dnsmasqPaths(join(this.o.runDir, name)), { upstreamDns: this.o.upstreamDns });
    await d.stop();
    await d.removeFiles();
    const bridge = (await readHostLinks(this.runner)).get(name);
    if (bridge?.kind === 'bridge' && bridge.mac === stableMac('bridge', name)) await this.links.forceBatch([`link del dev ${name}`]);
  }

  async observe(records: readonly NetworkRecord[]): Promise<Observed> {
    const [links, chains] = await Promise.all([readHostLinks(this.runner), this.firewall.jumpTargets()]);
    const dnsmasq = new Map<string, boolean>();
    for (const r of records) {
      if (needsDnsmasq(r.config)) dnsmasq.set(r.config.name, (await this.dnsmasq(r.config).pid()) !== null);
    }
    return { links, chains, dnsmasq };
  }
}

/** Waits for every step (none is left running behind a failure), then throws the first error. */
export async function settleAll(steps: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
