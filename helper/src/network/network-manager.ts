// The network engine's face: creates (as an operation), recovers, changes and deletes
// Nova networks, each change holding that network's lock in the helper's shared lock
// table, so a conflicting request is refused as `locked` naming what holds it. Every
// change is announced through `onChanged`, whoever caused it: a caller, a VM or capsule
// joining, recovery. The steps live beside it (network-create, -attachments, -recovery).
import type { z } from 'zod';
import { NovaError, schemaError } from '../../../src-shared/errors.js';
import { checkAdoptable } from '../state/project-owner.js';
import {
  AttachRequestSchema,
  ForwardSchema,
  NetworkSpecSchema,
  NetworkUpdateSchema,
  PeerSchema,
  type Attachment,
  type AttachRequest,
  type DhcpLease,
  type Forward,
  type Network,
  type NetworkSpecInput,
  type NetworkUpdateInput,
  type NetworkUpdateResult,
  type Peer,
  type Protocol,
} from '../../../src-shared/network.js';
import type { RecordedNetwork } from './network-config.js';
import { parseCidr } from '../../../src-shared/ip-cidr.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import { OperationManager, type Requester } from '../operations/operation-manager.js';
import { ProcessRunner } from '../process/process-runner.js';
import { ResourceLocks } from '../state/resource-lock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { CommandRunner } from './command-runner.js';
import { readHostLinks } from './host-links.js';
import { DEFAULT_IF_PREFIX } from './interface-names.js';
import { attachGuest, detachGuest, type AttachContext, type AttachOptions } from './network-attachments.js';
import { DEFAULT_OVERLAY_MTU, type NetworkRecord } from './network-config.js';
import { createNetwork, type CreateContext } from './network-create.js';
import { NetworkDataplane } from './network-dataplane.js';
import { checkPorts, resolvePeers, systemResolver, type HostResolver } from './network-host-checks.js';
import { checkForward, checkNetworkName } from './network-plan.js';
import { FirewallWatch } from './firewall-watch.js';
import { recoverNetworks, repairNetworks, type RecoveryReport, type RepairReport } from './network-recovery.js';
import { NetworkRegistry } from './network-registry.js';
import { describeNetwork } from './network-status.js';
import { NetworkStore } from './network-store.js';
import { suggestSubnet, takenBlocks } from './subnet-suggestion.js';
import { checkUpdateOnHost, updateNetwork, type UpdateContext } from './network-update.js';
import { planUpdate } from './network-update-plan.js';
import { DEFAULT_NFT_TABLE } from './nft-ruleset.js';
import { probeOverlayDrivers } from './overlay-drivers.js';
import { portKey } from './port-usage.js';
import { planWireguard } from './wireguard-plan.js';

export type { RecoveryReport, RepairReport } from './network-recovery.js';

export interface NetworkManagerOptions {
  stateDir: string;
  /** dnsmasq's files (readable by the user dnsmasq drops to). Default /run/nova/networks. */
  runDir?: string;
  /** Default: the helper's ProcessRunner on this host; tests confine it to a namespace. */
  runner?: CommandRunner;
  nftTable?: string;
  /** Prefix of the interfaces Nova names itself (taps, veths, VXLAN devices). */
  ifPrefix?: string;
  /** Let dnsmasq forward other names to the host's resolvers (default true). */
  upstreamDns?: boolean;
  overlayDrivers?: () => Promise<string[]>;
  resolveHost?: HostResolver;
  logger?: Logger;
  /** The helper's operations and their lock table; a private one when the engine runs alone (tests). */
  operations?: OperationManager;
  /** Told a network's name after every change to it, whatever caused it (main emits network.changed). */
  onChanged?: (network: string) => void;
}

/** Names, subnets, uplinks, host ports and the one nftables table are shared by all networks. */
const SHARED = 'networks';

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw schemaError(what, r.error);
  return r.data;
}

function networkRef(name: string): ResourceRef {
  return { kind: 'network', name };
}

export class NetworkManager {
  private readonly registry: NetworkRegistry;
  private readonly dataplane: NetworkDataplane;
  private readonly operations: OperationManager;
  /** Short steps that read and claim shared things queue here (milliseconds, never an operation). */
  private readonly shared = new ResourceLocks();
  private readonly log: Logger;
  private readonly steps: CreateContext & AttachContext;
  private readonly firewallWatch: FirewallWatch;

  constructor(private readonly opts: NetworkManagerOptions) {
    this.log = opts.logger ?? silentLogger();
    const store = new NetworkStore(opts.stateDir);
    this.registry = new NetworkRegistry(store);
    this.dataplane = new NetworkDataplane(opts.runner ?? new ProcessRunner(), {
      runDir: opts.runDir ?? '/run/nova/networks',
      nftTable: opts.nftTable ?? DEFAULT_NFT_TABLE,
      keyDir: store.dir,
      upstreamDns: opts.upstreamDns ?? true,
      networks: () => this.registry.configs(),
    });
    this.operations = opts.operations ?? new OperationManager({ logger: this.log, emit: () => undefined });
    this.steps = {
      registry: this.registry,
      dataplane: this.dataplane,
      ifPrefix: opts.ifPrefix ?? DEFAULT_IF_PREFIX,
      overlayDrivers: opts.overlayDrivers ?? probeOverlayDrivers,
      resolveHost: opts.resolveHost ?? systemResolver,
      claim: (work) => this.shared.withLock(SHARED, work),
      changed: (network) => this.changed(network),
      log: this.log,
    };
    this.firewallWatch = new FirewallWatch({
      firewall: this.dataplane.firewall,
      settled: () => this.registry.loaded().filter((r) => !r.pending).map((r) => r.config),
      changed: (network) => this.changed(network),
      log: this.log,
    });
  }

  /** Brings every persisted network back: bridges, uplinks, attachments (not after a host restart), rules, dnsmasq. */
  async start(opts: { hostRestarted?: boolean } = {}): Promise<RecoveryReport> {
    return this.shared.withLock(SHARED, () => recoverNetworks(this.steps, { guestsGone: opts.hostRestarted === true }));
  }

  /**
   * Puts back what is missing from the kernel (all networks, or the one named) while the
   * helper runs; a named network must exist and not be busy with another change.
   */
  async repair(name?: string, requester: Requester | null = null): Promise<RepairReport> {
    const work = () => this.shared.withLock(SHARED, () => repairNetworks(this.steps, name));
    if (name === undefined) return work();
    return this.holding(name, 'a repair', requester, async () => {
      await this.registry.require(name);
      return work();
    });
  }

  /** Checks every `intervalMs` that Nova's nftables rules are still in the kernel and applies them again if not. */
  watchFirewall(intervalMs: number): () => void {
    this.firewallWatch.start(intervalMs);
    return () => this.firewallWatch.stop();
  }

  // Queries take no lock: they read the records in memory and the kernel as it is.

  async list(): Promise<Network[]> {
    const records = await this.registry.all();
    const observed = await this.dataplane.observe(records);
    return records.sort((a, b) => a.config.name.localeCompare(b.config.name)).map((r) => describeNetwork(r, observed));
  }

  /** Networks whose record cannot be read: listed apart, removable with delete. */
  async broken(): Promise<BrokenRecord[]> {
    await this.registry.all();
    return this.registry.broken();
  }

  async get(name: string): Promise<Network> {
    const record = await this.registry.require(name);
    return describeNetwork(record, await this.dataplane.observe([record]));
  }

  /**
   * What the record says, without looking at the kernel: a guest joining needs only the
   * settings and who holds which address, and reading links and rules for it cost two
   * processes per call on every capsule start.
   */
  async recorded(name: string): Promise<RecordedNetwork> {
    const { config, attachments } = await this.registry.require(name);
    return {
      profile: config.profile,
      subnet: config.subnet?.cidr ?? null,
      gateway: config.subnet?.gateway ?? null,
      dns: config.dns,
      domain: config.dns ? config.domain : null,
      attachments: attachments.map((a) => ({ resource: a.resource, address: a.address })),
    };
  }

  /** A free /24 for the create form (see subnet-suggestion.ts). */
  async suggestSubnet(): Promise<string | null> {
    await this.registry.all();
    const links = await readHostLinks(this.dataplane.runner);
    return suggestSubnet(await takenBlocks(this.dataplane.runner, links, this.registry.configs()));
  }

  async leases(name: string): Promise<DhcpLease[]> {
    const record = await this.registry.require(name);
    return this.dataplane.dnsmasq(record.config).leases();
  }

  async listForwards(name: string): Promise<Forward[]> {
    return (await this.registry.require(name)).config.forwards.map((f) => ({ ...f }));
  }

  /** An operation (`network.create`): progress by step, cancellable, and undone entirely when it fails. */
  async create(input: NetworkSpecInput, requester: Requester | null = null): Promise<Network> {
    const spec = parseWith(NetworkSpecSchema, input, 'invalid network');
    checkNetworkName(spec.name);
    const op = { kind: 'network.create', resource: networkRef(spec.name), title: 'creation' } as const;
    return this.operations.run(op, requester, async (handle) => {
      await this.registry.all();
      this.registry.refuseBroken(spec.name);
      return createNetwork(this.steps, spec, handle);
    });
  }

  async delete(name: string, requester: Requester | null = null): Promise<void> {
    await this.holding(name, 'deletion', requester, async () => {
      await this.registry.all();
      if (this.registry.isBroken(name)) {
        await this.dataplane.teardownByName(name);
        await this.registry.removeBroken(name);
        this.changed(name);
        return;
      }
      const record = await this.registry.require(name);
      record.pending = 'delete';
      await this.registry.save(record);
      // Forgotten first, so the rules are rendered without it; the file goes once all is gone.
      this.registry.forget(name);
      this.changed(name);
      await this.dataplane.teardown(record);
      await this.registry.removeFile(name);
      this.log.info({ network: name }, 'network deleted');
    });
  }

  /**
   * Replaces a wireguard overlay's peers. Each host learns the others' keys only after they
   * create their side, so the first host adds the later ones here.
   */
  async setPeers(name: string, input: ReadonlyArray<z.input<typeof PeerSchema>>, requester: Requester | null = null): Promise<Network> {
    const peers = input.map((p) => parseWith(PeerSchema, p, 'invalid peer'));
    return this.holding(name, 'a change of peers', requester, async () => {
      const record = await this.registry.require(name);
      await this.applyPeers(record, peers);
      await this.registry.save(record);
      this.changed(name);
      return describeNetwork(record, await this.dataplane.observe([record]));
    });
  }

  /**
   * An operation (`network.update`): egress, DHCP range, DNS, domain, forwards, peers, and
   * the subnet while nothing is attached. Checked whole before anything changes, applied
   * step by step, and put back entirely when a step fails.
   */
  async update(input: NetworkUpdateInput, requester: Requester | null = null): Promise<NetworkUpdateResult> {
    const update = parseWith(NetworkUpdateSchema, input, 'invalid network update');
    const op = { kind: 'network.update', resource: networkRef(update.name), title: 'a change of settings' } as const;
    return this.operations.run(op, requester, async (handle) => {
      await this.registry.all();
      const record = await this.registry.require(update.name);
      const others = this.registry.configs().filter((c) => c.name !== update.name);
      const plan = planUpdate(record.config, update, record.attachments.length, others);
      // Host ports and host addresses are shared: checked and taken in one step with the rules.
      const result = await this.shared.withLock(SHARED, async () => {
        await checkUpdateOnHost(this.dataplane.runner, record.config, plan, others, handle.signal);
        const ctx: UpdateContext = {
          registry: this.registry,
          dataplane: this.dataplane,
          log: this.log,
          applyPeers: (r, peers) => this.applyPeers(r, peers),
          describe: async (r) => describeNetwork(r, await this.dataplane.observe([r])),
        };
        return updateNetwork(ctx, record, plan, handle);
      });
      if (result.changes.length > 0) this.changed(update.name);
      return result;
    });
  }

  /** Replaces a wireguard overlay's peers in the kernel and in `record` (not saved). */
  private async applyPeers(record: NetworkRecord, peers: Peer[]): Promise<void> {
    const { config } = record;
    const name = config.name;
    const o = config.overlay;
    if (!o?.wireguard) throw new NovaError('invalid_argument', `peers can be changed only on a wireguard overlay; ${name} is not one (delete and create it again instead)`);
    const resolvedPeers = await resolvePeers(peers.map((p) => p.host), this.steps.resolveHost);
    const underlayMtu = (o.underlay ? (await readHostLinks(this.dataplane.runner)).get(o.underlay)?.mtu : undefined) ?? 1500;
    const spec = parseWith(NetworkSpecSchema, { name, type: 'overlay', driver: 'wireguard', vni: o.vni, listenPort: o.wireguard.listenPort }, 'invalid network');
    const usedPorts = new Map(
      this.registry.configs().flatMap((c) => (c.overlay?.wireguard && c.name !== name ? [[c.overlay.wireguard.listenPort, c.name] as const] : [])),
    );
    const next = planWireguard({ spec: { ...spec, peers }, vni: o.vni, device: o.wireguard.interface, publicKey: o.wireguard.publicKey, usedPorts, resolvedPeers, underlayMtu, minMtu: 0 });
    const mtu = o.mtu ?? DEFAULT_OVERLAY_MTU;
    if (next.mtu < mtu) {
      throw new NovaError('failed_precondition', `these peers need a smaller MTU (${next.mtu}) than network ${name} has (${mtu}); delete the network and create it again with them`);
    }
    next.wireguard.mtu = o.wireguard.mtu;
    await this.dataplane.wireguard.updatePeers(config, next.wireguard);
    config.peers = peers;
    o.peers = next.wireguard.peers.map((p) => ({ address: p.tunnelAddress, port: o.port }));
    o.wireguard = next.wireguard;
  }

  /** Makes an unmanaged network the project's own (see project-owner.ts). */
  async adopt(name: string, project: string, requester: Requester | null = null): Promise<Network> {
    return this.holding(name, `adoption by project ${project}`, requester, async () => {
      const record = await this.registry.require(name);
      checkAdoptable('network', name, record.config.project, project);
      record.config.project = project;
      await this.registry.save(record);
      this.changed(name);
      return describeNetwork(record, await this.dataplane.observe([record]));
    });
  }

  async addForward(network: string, input: z.input<typeof ForwardSchema>, requester: Requester | null = null): Promise<Forward[]> {
    const forward = parseWith(ForwardSchema, input, 'invalid forward');
    return this.holding(network, `a forward of port ${portKey(forward.hostPort, forward.protocol)}`, requester, async () => {
      const record = await this.registry.require(network);
      const { config } = record;
      if (config.profile !== 'nat' || !config.subnet) {
        throw new NovaError('invalid_argument', `port forwards need a NAT network with a subnet; ${network} is ${config.profile}`);
      }
      const cidr = parseCidr(`${config.subnet.gateway}/${config.subnet.prefix}`);
      if (!cidr) throw new NovaError('internal', `network ${network} has a broken subnet`);
      const seen = new Set(config.forwards.map((f) => portKey(f.hostPort, f.protocol)));
      const checked = checkForward(forward, cidr, config.subnet, seen);
      // A host port is forwarded once across all networks: checked and taken in one step.
      await this.shared.withLock(SHARED, async () => {
        await checkPorts(this.dataplane.runner, [checked], this.registry.configs().filter((c) => c.name !== network));
        await this.commitForwards(record, [...config.forwards, checked]);
      });
      return config.forwards.map((f) => ({ ...f }));
    });
  }

  async removeForward(network: string, hostPort: number, protocol: Protocol = 'tcp', requester: Requester | null = null): Promise<Forward[]> {
    return this.holding(network, `removing the forward of port ${portKey(hostPort, protocol)}`, requester, async () => {
      const record = await this.registry.require(network);
      const before = record.config.forwards;
      const after = before.filter((f) => !(f.hostPort === hostPort && f.protocol === protocol));
      if (after.length === before.length) {
        throw new NovaError('not_found', `network ${network} has no forward of host port ${hostPort}/${protocol}`);
      }
      await this.commitForwards(record, after);
      return after.map((f) => ({ ...f }));
    });
  }

  /** `opts.tapOwner` is not part of the public request: only the VM engine sets it. */
  async attach(input: AttachRequest, opts: AttachOptions & { requester?: Requester | null } = {}): Promise<Attachment> {
    const req = parseWith(AttachRequestSchema, input, 'invalid attachment');
    return this.holding(req.network, `attaching ${req.resource}`, opts.requester ?? null, async () => {
      const attachment = await attachGuest(this.steps, req, opts);
      this.changed(req.network);
      return attachment;
    });
  }

  async detach(network: string, resource: string, requester: Requester | null = null): Promise<void> {
    await this.holding(network, `detaching ${resource}`, requester, async () => {
      await detachGuest(this.steps, network, resource);
      this.changed(network);
    });
  }

  /** Holds the network's lock for a short change: a create or another change under way makes it `locked`. */
  private holding<T>(network: string, label: string, requester: Requester | null, work: () => Promise<T>): Promise<T> {
    return this.operations.exclusive([networkRef(network)], label, requester, work);
  }

  /** Applies the rules with these forwards; on failure the old ones stay, in the config and the kernel. */
  private async commitForwards(record: NetworkRecord, forwards: Forward[]): Promise<void> {
    const before = record.config.forwards;
    record.config.forwards = forwards;
    try {
      await this.dataplane.firewall.sync();
      await this.registry.save(record);
    } catch (err) {
      record.config.forwards = before;
      await this.dataplane.firewall.sync().catch(() => undefined);
      throw err;
    }
    this.changed(record.config.name);
  }

  private changed(network: string): void {
    try {
      this.opts.onChanged?.(network);
    } catch (err) {
      this.log.warn({ err, network }, 'a network change listener failed');
    }
  }
}
