// Creating a network, as the body of a `network.create` operation: checked against the
// host and the other networks, recorded (pending), then made step by step (tunnel,
// bridge, rules, dnsmasq) with progress. Each step first registers how to undo it, so a
// failure or a cancel leaves no bridge, no rules, no dnsmasq and no record behind.
import { NovaError } from '../../../src-shared/errors.js';
import type { Network, NetworkSpec } from '../../../src-shared/network.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { Logger } from '../util/logger.js';
import { deleteLinksLines, planNetworkLinks } from './bridge-manager.js';
import { readHostLinks, type HostLink } from './host-links.js';
import { needsDnsmasq, type NetworkRecord } from './network-config.js';
import type { NetworkDataplane } from './network-dataplane.js';
import { checkHost, checkListenPort, checkPorts, resolvePeers, type HostResolver } from './network-host-checks.js';
import { planNetwork } from './network-plan.js';
import type { NetworkRegistry } from './network-registry.js';
import { createdState, describeNetwork } from './network-status.js';
import { NETWORK_RECORD_VERSION } from './network-store.js';

export interface CreateContext {
  registry: NetworkRegistry;
  dataplane: NetworkDataplane;
  ifPrefix: string;
  overlayDrivers: () => Promise<string[]>;
  resolveHost: HostResolver;
  /** Runs `work` alone among the steps that read and claim what networks share (names, subnets, ports). */
  claim: <T>(work: () => Promise<T>) => Promise<T>;
  changed: (network: string) => void;
  log: Logger;
}

export async function createNetwork(ctx: CreateContext, spec: NetworkSpec, op: OperationHandle): Promise<Network> {
  const { registry, dataplane } = ctx;
  const { signal } = op;
  op.progress({ phase: 'checking the host' });
  // The other networks, read from disk once: the plan and the shared rules must count them all.
  await registry.all();
  const overlay = spec.type === 'overlay';
  const drivers = overlay ? await ctx.overlayDrivers() : [];
  const resolvedPeers = await resolvePeers(spec.peers.map((p) => p.host), ctx.resolveHost);
  const links = await readHostLinks(dataplane.runner, signal);
  const underlay = overlay && spec.uplinks[0] ? links.get(spec.uplinks[0]) : undefined;
  const keys = overlay && spec.driver === 'wireguard' && drivers.includes('wireguard') ? await dataplane.wireguard.generateKeys() : null;
  op.throwIfCancelled();

  const record = await ctx.claim(async () => {
    const config = planNetwork(spec, {
      existing: registry.loaded().map((r) => r.config),
      ifPrefix: ctx.ifPrefix,
      overlayDrivers: drivers,
      resolvedPeers,
      underlayMtu: underlay?.mtu,
      wireguardPublicKey: keys?.publicKey,
    });
    checkHost(config, links);
    await checkPorts(dataplane.runner, config.forwards, registry.configs(), signal);
    await checkListenPort(dataplane.runner, config, signal);
    const claimed: NetworkRecord = { version: NETWORK_RECORD_VERSION, config, attachments: [], createdAt: new Date().toISOString(), pending: 'create' };
    // Undone last: the record goes once everything it describes is gone, and the rules are
    // rendered again without it (they may have been applied with it).
    op.onUndo(async () => {
      registry.forget(config.name);
      await dataplane.firewall.sync().catch((err: unknown) => ctx.log.warn({ err, network: config.name }, 'could not remove the rules of a network that was not created'));
      await registry.removeFile(config.name);
      ctx.changed(config.name);
    });
    // Recorded first, so a helper killed mid-create leaves a record that its next start tears down.
    await registry.save(claimed);
    return claimed;
  });
  const { config } = record;
  ctx.changed(config.name);

  let linksNow: ReadonlyMap<string, HostLink> = links;
  if (keys) {
    op.throwIfCancelled();
    op.progress({ phase: 'creating the WireGuard tunnel', cancellable: false });
    op.onUndo(() => dataplane.wireguard.remove(config));
    // The tunnel and the VXLAN device inside it come first: the link plan then only enslaves that device.
    await dataplane.wireguard.saveKey(config.name, keys.privateKey);
    await dataplane.wireguard.ensure(config, links);
    linksNow = await readHostLinks(dataplane.runner, signal);
  }

  op.throwIfCancelled();
  op.progress({ phase: 'creating the bridge' });
  const plan = planNetworkLinks(config, [], { links: linksNow, netns: new Set() });
  if (plan.problems.length > 0) throw new NovaError('failed_precondition', plan.problems.join('; '));
  op.onUndo(() => dataplane.links.forceBatch(deleteLinksLines([...plan.created].reverse())));
  await dataplane.links.apply(plan, signal);

  op.throwIfCancelled();
  op.progress({ phase: 'firewall rules' });
  await dataplane.ensureForwarding(signal);
  await dataplane.firewall.sync(signal);

  if (needsDnsmasq(config)) {
    op.throwIfCancelled();
    // Not interrupted: a dnsmasq killed after it forked would leave a daemon no pid file names.
    op.progress({ phase: 'starting dnsmasq', cancellable: false });
    op.onUndo(() => dataplane.removeDnsmasq(config));
    await dataplane.syncDnsmasq(record, 'restart');
  }
  op.throwIfCancelled();

  delete record.pending;
  await registry.save(record);
  ctx.changed(config.name);
  ctx.log.info({ network: config.name, profile: config.profile }, 'network created');
  // Every step above was checked, so its state is known without reading the kernel
  // back (that round trip was a sixth of a create): what was there, plus what was made.
  return describeNetwork(record, createdState(config, linksNow));
}

