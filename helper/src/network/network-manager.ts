// The network engine: creates, recovers and deletes Nova networks from their records
// in the state dir, through its collaborators (network-plan for validation,
// bridge-manager for links, nft-firewall for rules, dnsmasq-instance for DHCP/DNS).
// A create either completes or leaves nothing; a record marked pending is finished on start.
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { NovaError, schemaError } from '../../../src-shared/errors.js';
import {
  AttachRequestSchema,
  ForwardSchema,
  NetworkSpecSchema,
  PeerSchema,
  type Attachment,
  type AttachRequest,
  type DhcpLease,
  type Forward,
  type Network,
  type NetworkSpecInput,
  type NetworkStatus,
  type Protocol,
} from '../../../src-shared/network.js';
import { ResourceLocks } from '../state/resource-lock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BridgeManager, planAttachmentLinks, planNetworkLinks, teardownLines } from './bridge-manager.js';
import { hostRunner, runChecked, type CommandRunner } from './command-runner.js';
import { dnsmasqPaths } from './dnsmasq-config.js';
import { DnsmasqInstance } from './dnsmasq-instance.js';
import { readHostLinks, readNetnsNames, type HostLink } from './host-links.js';
import { attachmentIfname, DEFAULT_IF_PREFIX, stableMac } from './interface-names.js';
import { cidrsOverlap, parseCidr, parseIp } from '../../../src-shared/ip-cidr.js';
import { DEFAULT_OVERLAY_MTU, guestHostLabel, needsDnsmasq, networkMtu, type AttachmentRecord, type NetworkConfig, type NetworkRecord } from './network-config.js';
import { checkForward, checkNetworkName, checkStaticAddress, planNetwork } from './network-plan.js';
import { NetworkStore, NETWORK_RECORD_VERSION } from './network-store.js';
import { NftFirewall } from './nft-firewall.js';
import { DEFAULT_NFT_TABLE, networkChains } from './nft-ruleset.js';
import { probeOverlayDrivers } from './overlay-drivers.js';
import { listeningPorts, portKey } from './port-usage.js';
import { planWireguard, wireguardInfo } from './wireguard-plan.js';
import { WireguardTunnel, wireguardProblems } from './wireguard-tunnel.js';

export interface NetworkManagerOptions {
  stateDir: string;
  /** dnsmasq's files (readable by the user dnsmasq drops to). Default /run/nova/networks. */
  runDir?: string;
  runner?: CommandRunner;
  nftTable?: string;
  /** Prefix of the interfaces Nova names itself (taps, veths, VXLAN devices). */
  ifPrefix?: string;
  /** Let dnsmasq forward other names to the host's resolvers (default true). */
  upstreamDns?: boolean;
  overlayDrivers?: () => Promise<string[]>;
  resolveHost?: (host: string) => Promise<string>;
  logger?: Logger;
}

export interface RecoveryReport {
  recovered: string[];
  /** Networks torn down because a create or delete had not finished. */
  finished: string[];
  problems: Array<{ network: string; message: string }>;
}

/** Networks share one nftables table, the subnet space, uplinks and host ports: changes queue. */
const LOCK = 'networks';

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw schemaError(what, r.error);
  return r.data;
}

export class NetworkManager {
  private readonly runner: CommandRunner;
  private readonly store: NetworkStore;
  private readonly links: BridgeManager;
  private readonly firewall: NftFirewall;
  private readonly wireguard: WireguardTunnel;
  private readonly locks = new ResourceLocks();
  private readonly ifPrefix: string;
  private readonly runDir: string;
  private readonly log: Logger;
  private records: Map<string, NetworkRecord> | null = null;
  private forwarding = false;

  constructor(private readonly opts: NetworkManagerOptions) {
    this.runner = opts.runner ?? hostRunner();
    this.store = new NetworkStore(opts.stateDir);
    this.links = new BridgeManager(this.runner);
    this.firewall = new NftFirewall(this.runner, opts.nftTable ?? DEFAULT_NFT_TABLE);
    this.wireguard = new WireguardTunnel(this.runner, { keyDir: this.store.dir });
    this.ifPrefix = opts.ifPrefix ?? DEFAULT_IF_PREFIX;
    this.runDir = opts.runDir ?? '/run/nova/networks';
    this.log = opts.logger ?? silentLogger();
  }

  // ---------------------------------------------------------------------------
  // Recovery

  /** Brings every persisted network back: bridges, uplinks, attachments, rules, dnsmasq. */
  async start(): Promise<RecoveryReport> {
    return this.locks.withLock(LOCK, async () => {
      const report: RecoveryReport = { recovered: [], finished: [], problems: [] };
      const all = await this.store.list();
      this.records = new Map();
      for (const record of all) {
        if (record.pending) {
          await this.teardown(record);
          report.finished.push(record.config.name);
        } else {
          this.records.set(record.config.name, record);
        }
      }
      this.forwarding = false;
      const tunnelsDown = await this.ensureTunnels(report);
      const fresh = await readHostLinks(this.runner);
      const netns = await readNetnsNames(this.runner);
      const restarted = new Set<string>();
      for (const record of this.records.values()) {
        if (tunnelsDown.has(record.config.name)) continue;
        try {
          const plan = planNetworkLinks(record.config, record.attachments, { links: fresh, netns });
          for (const p of plan.problems) report.problems.push({ network: record.config.name, message: p });
          await this.links.apply(plan);
          if (plan.bridgeCreated) restarted.add(record.config.name);
        } catch (err) {
          report.problems.push({ network: record.config.name, message: (err as Error).message });
        }
      }
      await this.ensureForwarding();
      // With no networks Nova has no table, and a helper start must not create one.
      if (this.records.size > 0) {
        try {
          await this.firewall.apply(this.configs());
        } catch (err) {
          report.problems.push({ network: '*', message: (err as Error).message });
        }
      }
      for (const record of this.records.values()) {
        const name = record.config.name;
        try {
          await this.syncDnsmasq(record, restarted.has(name) ? 'restart' : 'ensure');
          report.recovered.push(name);
        } catch (err) {
          report.problems.push({ network: name, message: (err as Error).message });
        }
      }
      this.log.info({ ...report }, 'networks recovered');
      return report;
    });
  }

  // ---------------------------------------------------------------------------
  // Queries

  async list(): Promise<Network[]> {
    const records = [...(await this.loaded()).values()];
    const observed = await this.observe();
    return records.sort((a, b) => a.config.name.localeCompare(b.config.name)).map((r) => this.describe(r, observed));
  }

  async get(name: string): Promise<Network> {
    const record = await this.require(name);
    return this.describe(record, await this.observe());
  }

  async leases(name: string): Promise<DhcpLease[]> {
    const record = await this.require(name);
    return this.dnsmasq(record.config).leases();
  }

  async listForwards(name: string): Promise<Forward[]> {
    return (await this.require(name)).config.forwards.map((f) => ({ ...f }));
  }

  // ---------------------------------------------------------------------------
  // Create and delete

  async create(input: NetworkSpecInput): Promise<Network> {
    const spec = parseWith(NetworkSpecSchema, input, 'invalid network');
    checkNetworkName(spec.name);
    return this.locks.withLock(LOCK, async () => {
      const records = await this.loaded();
      const drivers = spec.type === 'overlay' ? await (this.opts.overlayDrivers ?? probeOverlayDrivers)() : [];
      const resolvedPeers = await this.resolvePeers(spec.peers.map((p) => p.host));
      const links = await readHostLinks(this.runner);
      const underlay = spec.type === 'overlay' && spec.uplinks[0] ? links.get(spec.uplinks[0]) : undefined;
      const keys = spec.type === 'overlay' && spec.driver === 'wireguard' && drivers.includes('wireguard') ? await this.wireguard.generateKeys() : null;
      const config = planNetwork(spec, {
        existing: [...records.values()].map((r) => r.config),
        ifPrefix: this.ifPrefix,
        overlayDrivers: drivers,
        resolvedPeers,
        underlayMtu: underlay?.mtu,
        wireguardPublicKey: keys?.publicKey,
      });
      this.checkHost(config, links);
      await this.checkPorts(config.forwards, null);
      await this.checkListenPort(config);

      const record: NetworkRecord = {
        version: NETWORK_RECORD_VERSION,
        config,
        attachments: [],
        createdAt: new Date().toISOString(),
        pending: 'create',
      };
      // Recorded first, so a helper killed mid-create leaves a record that the next start tears down.
      await this.store.put(record);
      records.set(config.name, record);
      let linksNow = links;
      if (keys) {
        // The tunnel and the VXLAN device inside it come first: the link plan then only enslaves that device.
        try {
          await this.wireguard.saveKey(config.name, keys.privateKey);
          await this.wireguard.ensure(config, links);
          linksNow = await readHostLinks(this.runner);
        } catch (err) {
          records.delete(config.name);
          await this.wireguard.remove(config).catch(() => undefined);
          await this.store.remove(config.name);
          throw err;
        }
      }
      const plan = planNetworkLinks(config, [], { links: linksNow, netns: new Set() });
      try {
        if (plan.problems.length > 0) throw new NovaError('failed_precondition', plan.problems.join('; '));
        await this.links.apply(plan);
        // The rules and dnsmasq need the bridge, not each other: made side by side.
        await settleAll([
          this.ensureForwarding().then(() => this.firewall.apply(this.configs())),
          this.syncDnsmasq(record, 'restart'),
        ]);
        delete record.pending;
        await this.store.put(record);
      } catch (err) {
        this.log.warn({ network: config.name, err: (err as Error).message }, 'create failed; rolling back');
        records.delete(config.name);
        await this.rollback(config, plan.created);
        await this.store.remove(config.name);
        throw err;
      }
      this.log.info({ network: config.name, profile: config.profile }, 'network created');
      // Every step above was checked, so its state is known without reading the kernel
      // back (that round trip was a sixth of a create): what was there, plus what was made.
      return this.describe(record, createdState(config, linksNow));
    });
  }

  async delete(name: string): Promise<void> {
    await this.locks.withLock(LOCK, async () => {
      const records = await this.loaded();
      const record = records.get(name);
      if (!record) throw new NovaError('not_found', `network ${JSON.stringify(name)} does not exist`);
      record.pending = 'delete';
      await this.store.put(record);
      records.delete(name);
      await this.teardown(record);
      this.log.info({ network: name }, 'network deleted');
    });
  }

  /**
   * Replaces a wireguard overlay's peers. Each host learns the others' keys only after they
   * create their side, so the first host adds the later ones here.
   */
  async setPeers(name: string, input: ReadonlyArray<z.input<typeof PeerSchema>>): Promise<Network> {
    const peers = input.map((p) => parseWith(PeerSchema, p, 'invalid peer'));
    return this.locks.withLock(LOCK, async () => {
      const record = await this.require(name);
      const { config } = record;
      const o = config.overlay;
      if (!o?.wireguard) throw new NovaError('invalid_argument', `peers can be changed only on a wireguard overlay; ${name} is not one (delete and create it again instead)`);
      const others = [...(this.records?.values() ?? [])].filter((r) => r !== record).map((r) => r.config);
      const usedPorts = new Map(others.flatMap((c) => (c.overlay?.wireguard ? [[c.overlay.wireguard.listenPort, c.name] as const] : [])));
      const links = await readHostLinks(this.runner);
      const spec = parseWith(NetworkSpecSchema, { name, type: 'overlay', driver: 'wireguard', vni: o.vni, listenPort: o.wireguard.listenPort }, 'invalid network');
      const next = planWireguard({
        spec: { ...spec, peers },
        vni: o.vni,
        device: o.wireguard.interface,
        publicKey: o.wireguard.publicKey,
        usedPorts,
        resolvedPeers: await this.resolvePeers(peers.map((p) => p.host)),
        underlayMtu: (o.underlay ? links.get(o.underlay)?.mtu : undefined) ?? 1500,
        minMtu: 0,
      });
      const mtu = o.mtu ?? DEFAULT_OVERLAY_MTU;
      if (next.mtu < mtu) {
        throw new NovaError('failed_precondition', `these peers need a smaller MTU (${next.mtu}) than network ${name} has (${mtu}); delete the network and create it again with them`);
      }
      next.wireguard.mtu = o.wireguard.mtu;
      await this.wireguard.updatePeers(config, next.wireguard);
      config.peers = peers;
      o.peers = next.wireguard.peers.map((p) => ({ address: p.tunnelAddress, port: o.port }));
      o.wireguard = next.wireguard;
      await this.store.put(record);
      return this.describe(record, await this.observe());
    });
  }

  // ---------------------------------------------------------------------------
  // Forwards

  async addForward(network: string, input: z.input<typeof ForwardSchema>): Promise<Forward[]> {
    const forward = parseWith(ForwardSchema, input, 'invalid forward');
    return this.locks.withLock(LOCK, async () => {
      const record = await this.require(network);
      const { config } = record;
      if (config.profile !== 'nat' || !config.subnet) {
        throw new NovaError('invalid_argument', `port forwards need a NAT network with a subnet; ${network} is ${config.profile}`);
      }
      const cidr = parseCidr(`${config.subnet.gateway}/${config.subnet.prefix}`);
      if (!cidr) throw new NovaError('internal', `network ${network} has a broken subnet`);
      const seen = new Set(config.forwards.map((f) => portKey(f.hostPort, f.protocol)));
      const checked = checkForward(forward, cidr, config.subnet, seen);
      await this.checkPorts([checked], null);
      const before = config.forwards;
      config.forwards = [...before, checked];
      await this.commitRules(record, () => (config.forwards = before));
      return config.forwards.map((f) => ({ ...f }));
    });
  }

  async removeForward(network: string, hostPort: number, protocol: Protocol = 'tcp'): Promise<Forward[]> {
    return this.locks.withLock(LOCK, async () => {
      const record = await this.require(network);
      const { config } = record;
      const before = config.forwards;
      const after = before.filter((f) => !(f.hostPort === hostPort && f.protocol === protocol));
      if (after.length === before.length) {
        throw new NovaError('not_found', `network ${network} has no forward of host port ${hostPort}/${protocol}`);
      }
      config.forwards = after;
      await this.commitRules(record, () => (config.forwards = before));
      return config.forwards.map((f) => ({ ...f }));
    });
  }

  // ---------------------------------------------------------------------------
  // Attachments

  /**
   * `opts.tapOwner` is not part of the public request: the VM engine sets it to the user
   * its QEMU runs as, so no caller can hand themselves someone else's tap.
   */
  async attach(input: AttachRequest, opts: { tapOwner?: { uid: number; gid: number } } = {}): Promise<Attachment> {
    const req = parseWith(AttachRequestSchema, input, 'invalid attachment');
    return this.locks.withLock(LOCK, async () => {
      const record = await this.require(req.network);
      const { config } = record;
      if (record.attachments.some((a) => a.resource === req.resource)) {
        throw new NovaError('already_exists', `${req.resource} is already attached to network ${req.network}`);
      }
      const netns = await readNetnsNames(this.runner);
      if (req.kind === 'veth') {
        if (!req.netns) throw new NovaError('invalid_argument', 'a veth attachment needs the network namespace that receives its guest end (netns)');
        if (!netns.has(req.netns)) throw new NovaError('not_found', `network namespace ${JSON.stringify(req.netns)} does not exist`);
      } else if (req.netns || req.guestIfname) {
        throw new NovaError('invalid_argument', 'a tap attachment is opened by QEMU; netns and guestIfname apply only to veth');
      }
      const address = req.address === undefined ? null : checkStaticAddress(req.address, config);
      if (address) {
        const ip = address.split('/')[0];
        const clash = record.attachments.find((a) => a.address?.split('/')[0] === ip);
        if (clash) throw new NovaError('already_exists', `address ${ip} is already used by ${clash.resource} on network ${config.name}`);
      }
      const attachment: AttachmentRecord = {
        resource: req.resource,
        kind: req.kind,
        hostIfname: attachmentIfname(this.ifPrefix, config.name, req.resource),
        mac: stableMac(config.name, req.resource),
        address,
        netns: req.kind === 'veth' ? (req.netns ?? null) : null,
        guestIfname: req.kind === 'veth' ? (req.guestIfname ?? 'eth0') : null,
        tapOwner: req.kind === 'tap' ? (opts.tapOwner ?? null) : null,
      };
      const links = await readHostLinks(this.runner);
      if (!links.has(config.bridge)) throw new NovaError('failed_precondition', `network ${config.name} is down: its bridge ${config.bridge} is missing`);
      // The name is derived from this network and resource, so a leftover is ours from an earlier crash.
      if (links.has(attachment.hostIfname)) await this.links.batch([`link del dev ${attachment.hostIfname}`]);
      const fresh = new Map(links);
      fresh.delete(attachment.hostIfname);
      const plan = planAttachmentLinks(config, attachment, { links: fresh, netns });
      record.attachments.push(attachment);
      try {
        await this.links.apply(plan);
        await this.store.put(record);
        await this.syncDnsmasq(record, 'reload');
      } catch (err) {
        record.attachments = record.attachments.filter((a) => a !== attachment);
        await this.links.forceBatch(plan.created.map((d) => `link del dev ${d}`));
        await this.store.put(record);
        throw err;
      }
      return this.describeAttachment(config, attachment, await readHostLinks(this.runner));
    });
  }

  async detach(network: string, resource: string): Promise<void> {
    await this.locks.withLock(LOCK, async () => {
      const record = await this.require(network);
      const attachment = record.attachments.find((a) => a.resource === resource);
      if (!attachment) throw new NovaError('not_found', `${resource} is not attached to network ${network}`);
      const links = await readHostLinks(this.runner);
      if (links.has(attachment.hostIfname)) await this.links.batch([`link del dev ${attachment.hostIfname}`]);
      record.attachments = record.attachments.filter((a) => a !== attachment);
      await this.store.put(record);
      await this.syncDnsmasq(record, 'reload');
    });
  }

  // ---------------------------------------------------------------------------
  // Internals

  private async loaded(): Promise<Map<string, NetworkRecord>> {
    if (!this.records) {
      this.records = new Map();
      for (const r of await this.store.list()) this.records.set(r.config.name, r);
    }
    return this.records;
  }

  private async require(name: string): Promise<NetworkRecord> {
    const record = (await this.loaded()).get(name);
    if (!record || record.pending) throw new NovaError('not_found', `network ${JSON.stringify(name)} does not exist`);
    return record;
  }

  private configs(): NetworkConfig[] {
    return [...(this.records?.values() ?? [])].filter((r) => r.pending !== 'delete').map((r) => r.config);
  }

  private dnsmasq(config: NetworkConfig): DnsmasqInstance {
    return new DnsmasqInstance(this.runner, dnsmasqPaths(join(this.runDir, config.name)), {
      upstreamDns: this.opts.upstreamDns ?? true,
    });
  }

  private async resolvePeers(hosts: readonly string[]): Promise<Record<string, string>> {
    const resolved: Record<string, string> = {};
    for (const host of hosts) {
      if (parseIp(host)) continue;
      try {
        resolved[host] = this.opts.resolveHost ? await this.opts.resolveHost(host) : (await lookup(host)).address;
      } catch {
        throw new NovaError('invalid_argument', `overlay peer ${JSON.stringify(host)} could not be resolved; write its IP address`);
      }
    }
    return resolved;
  }

  /** Facts of this host that planNetwork cannot know: existing interfaces and addresses. */
  private checkHost(config: NetworkConfig, links: ReadonlyMap<string, HostLink>): void {
    if (links.has(config.bridge)) {
      throw new NovaError('already_exists', `an interface named ${config.bridge} already exists on this host; choose another network name`);
    }
    const wanted = config.overlay?.underlay ? [config.overlay.underlay] : config.uplinks;
    for (const uplink of wanted) {
      const link = links.get(uplink);
      if (!link) {
        const names = [...links.keys()].filter((n) => n !== 'lo').slice(0, 8).join(', ');
        throw new NovaError('invalid_argument', `uplink ${JSON.stringify(uplink)} does not exist on this host (interfaces here: ${names || 'none'})`);
      }
      if (config.profile === 'external' && link.master) {
        throw new NovaError('already_exists', `uplink ${JSON.stringify(uplink)} is already used: it is a port of ${link.master}`);
      }
      if (link.kind === 'bridge') throw new NovaError('invalid_argument', `uplink ${JSON.stringify(uplink)} is itself a bridge; name the physical interface`);
      if (config.profile === 'external') {
        // A bridge port no longer answers on its own addresses, so enslaving this one would
        // cut the host off that network. Moving addresses and routes is the owner's call, not Nova's.
        const held = link.addresses.filter((a) => !(a.family === 6 && /^fe[89ab]/i.test(a.local)));
        if (held.length > 0) {
          const list = held.map((a) => `${a.local}/${a.prefix}`).join(', ');
          throw new NovaError(
            'failed_precondition',
            `uplink ${JSON.stringify(uplink)} carries this host's address ${list}: as a bridge port it would stop answering on it and the host would lose that network. ` +
              `Remove the address from ${uplink} first (then give the host its address on the bridge ${config.bridge}), or use profile "nat" to route out through ${uplink}`,
            { uplink, addresses: held.map((a) => `${a.local}/${a.prefix}`) },
          );
        }
      }
    }
    if (config.subnet) {
      const mine = parseCidr(`${config.subnet.gateway}/${config.subnet.prefix}`);
      for (const link of links.values()) {
        for (const a of link.addresses) {
          const theirs = parseCidr(`${a.local}/${a.prefix}`);
          if (mine && theirs && a.family === 4 && link.ifname !== 'lo' && cidrsOverlap(mine, theirs)) {
            throw new NovaError(
              'invalid_argument',
              `subnet ${config.subnet.cidr} overlaps ${a.local}/${a.prefix} on ${link.ifname}; choose another block`,
            );
          }
        }
      }
    }
  }

  /** A WireGuard overlay's UDP port must be free on this host (other overlays were checked by the plan). */
  private async checkListenPort(config: NetworkConfig): Promise<void> {
    const port = config.overlay?.wireguard?.listenPort;
    if (port === undefined) return;
    if ((await listeningPorts(this.runner)).has(portKey(port, 'udp'))) {
      throw new NovaError('failed_precondition', `UDP port ${port} is already taken on this host (a service listens on it); set another listen port for the WireGuard overlay`, { port });
    }
  }

  /** Recovery of WireGuard tunnels before the link plan: returns the networks whose tunnel could not be made. */
  private async ensureTunnels(report: RecoveryReport): Promise<Set<string>> {
    const down = new Set<string>();
    const tunneled = [...(this.records?.values() ?? [])].filter((r) => r.config.overlay?.wireguard);
    if (tunneled.length === 0) return down;
    const links = await readHostLinks(this.runner);
    for (const record of tunneled) {
      try {
        await this.wireguard.ensure(record.config, links);
      } catch (err) {
        down.add(record.config.name);
        report.problems.push({ network: record.config.name, message: (err as Error).message });
      }
    }
    return down;
  }

  /** A host port may be forwarded once across all networks, and never over a listening service. */
  private async checkPorts(forwards: readonly Forward[], except: string | null): Promise<void> {
    if (forwards.length === 0) return;
    const taken = new Map<string, string>();
    for (const r of this.records?.values() ?? []) {
      if (r.config.name === except) continue;
      for (const f of r.config.forwards) taken.set(portKey(f.hostPort, f.protocol), r.config.name);
    }
    const listening = await listeningPorts(this.runner);
    for (const f of forwards) {
      const key = portKey(f.hostPort, f.protocol);
      const owner = taken.get(key);
      if (owner) throw new NovaError('already_exists', `host port ${key} is already forwarded by network ${owner}`);
      if (listening.has(key)) {
        throw new NovaError('failed_precondition', `host port ${key} is already taken: a service on this host listens on it; choose another port`);
      }
    }
  }

  /** Once per start (recovery re-checks): NAT networks route through the host. */
  private async ensureForwarding(): Promise<void> {
    if (this.forwarding || !this.configs().some((c) => c.profile === 'nat')) return;
    await runChecked(this.runner, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], 'cannot enable IPv4 forwarding');
    this.forwarding = true;
  }

  /** Re-applies the rules after a config change; on failure restores the config and its file. */
  private async commitRules(record: NetworkRecord, undo: () => void): Promise<void> {
    try {
      await this.firewall.apply(this.configs());
      await this.store.put(record);
    } catch (err) {
      undo();
      await this.firewall.apply(this.configs()).catch(() => undefined);
      throw err;
    }
  }

  private async syncDnsmasq(record: NetworkRecord, how: 'ensure' | 'restart' | 'reload'): Promise<void> {
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

  private async rollback(config: NetworkConfig, created: readonly string[]): Promise<void> {
    const d = this.dnsmasq(config);
    await d.stop().catch(() => undefined);
    await d.removeFiles().catch(() => undefined);
    await this.links.forceBatch([...created].reverse().map((dev) => `link del dev ${dev}`));
    await this.wireguard.remove(config).catch(() => undefined);
    await this.firewall.apply(this.configs()).catch(() => undefined);
  }

  private async teardown(record: NetworkRecord): Promise<void> {
    const d = this.dnsmasq(record.config);
    // Independent kernel objects, removed side by side; the record goes only once all are gone.
    await settleAll([
      d.stop(),
      this.links.forceBatch(teardownLines(record.config, record.attachments)).then(() => this.wireguard.remove(record.config)),
      this.firewall.apply(this.configs()),
    ]);
    await d.removeFiles();
    await this.store.remove(record.config.name);
  }

  private async observe(): Promise<Observed> {
    const [links, chains] = await Promise.all([readHostLinks(this.runner), this.firewall.jumpTargets()]);
    const dnsmasq = new Map<string, boolean>();
    for (const r of this.records?.values() ?? []) {
      if (needsDnsmasq(r.config)) dnsmasq.set(r.config.name, (await this.dnsmasq(r.config).pid()) !== null);
    }
    return { links, chains, dnsmasq };
  }

  private describe(record: NetworkRecord, observed: Observed): Network {
    const c = record.config;
    return {
      name: c.name,
      type: c.type,
      profile: c.profile,
      bridge: c.bridge,
      subnet: c.subnet?.cidr ?? null,
      gateway: c.subnet?.gateway ?? null,
      dhcpRange: c.dhcp ? { ...c.dhcp } : null,
      uplinks: [...c.uplinks],
      dns: c.dns,
      domain: c.dns ? c.domain : null,
      driver: c.overlay?.driver ?? null,
      vni: c.overlay?.vni ?? null,
      peers: c.peers.map((p) => ({ ...p })),
      ...(c.overlay?.wireguard ? { wireguard: wireguardInfo(c.overlay.wireguard) } : {}),
      egressAllow: c.egressAllow ? c.egressAllow.map((e) => ({ ...e })) : null,
      forwards: c.forwards.map((f) => ({ ...f })),
      attachments: record.attachments.map((a) => this.describeAttachment(c, a, observed.links)),
      status: networkStatus(record, observed),
      createdAt: record.createdAt,
    };
  }

  private describeAttachment(config: NetworkConfig, a: AttachmentRecord, links: ReadonlyMap<string, HostLink>): Attachment {
    return {
      resource: a.resource,
      kind: a.kind,
      hostIfname: a.hostIfname,
      mac: a.mac,
      address: a.address,
      netns: a.netns,
      guestIfname: a.guestIfname,
      hostname: `${guestHostLabel(a.resource)}.${config.domain}`,
      present: links.get(a.hostIfname)?.master === config.bridge,
    };
  }
}

/** Waits for every step (none is left running behind a failure), then throws the first error. */
async function settleAll(steps: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

interface Observed {
  links: ReadonlyMap<string, HostLink>;
  chains: ReadonlySet<string>;
  dnsmasq: ReadonlyMap<string, boolean>;
}

/** What the kernel has right after a checked create: the links read before it, plus the bridge and rules just made. */
function createdState(config: NetworkConfig, before: ReadonlyMap<string, HostLink>): Observed {
  const links = new Map(before);
  links.set(config.bridge, {
    ifname: config.bridge,
    kind: 'bridge',
    master: null,
    up: true,
    mtu: networkMtu(config) ?? 1500,
    mac: config.bridgeMac,
    addresses: config.subnet ? [{ family: 4, local: config.subnet.gateway, prefix: config.subnet.prefix }] : [],
  });
  if (config.overlay) {
    links.set(config.overlay.device, { ifname: config.overlay.device, kind: 'vxlan', master: config.bridge, up: true, mtu: networkMtu(config) ?? 1500, mac: null, addresses: [] });
  }
  if (config.profile === 'external') {
    for (const uplink of config.uplinks) {
      const link = links.get(uplink);
      if (link) links.set(uplink, { ...link, master: config.bridge, up: true });
    }
  }
  const chains = networkChains(config.name);
  return { links, chains: new Set([chains.out, chains.in]), dnsmasq: new Map([[config.name, needsDnsmasq(config)]]) };
}

/** active: everything in place; degraded: the bridge is up but something is missing; down: no bridge. */
export function networkStatus(record: NetworkRecord, observed: Observed): NetworkStatus {
  const c = record.config;
  if (record.pending) return { state: 'down', reasons: [record.pending === 'create' ? 'being created' : 'being deleted'] };
  const bridge = observed.links.get(c.bridge);
  if (!bridge || bridge.kind !== 'bridge') return { state: 'down', reasons: [`bridge ${c.bridge} is missing`] };
  const reasons: string[] = [];
  if (!bridge.up) reasons.push(`bridge ${c.bridge} is down`);
  if (c.subnet && !bridge.addresses.some((a) => a.local === c.subnet?.gateway)) reasons.push(`the host address ${c.subnet.gateway} is missing from ${c.bridge}`);
  for (const uplink of c.uplinks) {
    const link = observed.links.get(uplink);
    if (!link) reasons.push(`uplink ${uplink} is missing`);
    else if (c.profile === 'external' && link.master !== c.bridge) reasons.push(`uplink ${uplink} is not a port of ${c.bridge}`);
    else if (!link.up) reasons.push(`uplink ${uplink} is down`);
  }
  reasons.push(...wireguardProblems(c.overlay?.wireguard, observed.links));
  if (c.overlay) {
    const dev = observed.links.get(c.overlay.device);
    if (!dev || dev.master !== c.bridge) reasons.push(`VXLAN device ${c.overlay.device} is missing from ${c.bridge}`);
  }
  const chains = networkChains(c.name);
  if (!observed.chains.has(chains.out) || !observed.chains.has(chains.in)) reasons.push('its nftables rules are missing');
  if (needsDnsmasq(c) && observed.dnsmasq.get(c.name) !== true) reasons.push('dnsmasq (DHCP/DNS) is not running');
  return { state: reasons.length > 0 ? 'degraded' : 'active', reasons };
}
