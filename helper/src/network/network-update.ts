// Applying a planned `network.update` as the body of an operation: the bridge's address
// (a new subnet), the shared nftables table (egress, forwards) in one transaction, and
// dnsmasq restarted on the new settings. Each step first registers how to put the old
// settings back, so a failure or a cancel leaves the network as it was, kernel and record.
import type { Network, NetworkUpdateResult } from '../../../src-shared/network.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { Logger } from '../util/logger.js';
import type { CommandRunner } from './command-runner.js';
import { readHostLinks } from './host-links.js';
import { needsDnsmasq, type NetworkConfig, type NetworkRecord } from './network-config.js';
import type { NetworkDataplane } from './network-dataplane.js';
import { checkHost, checkPorts } from './network-host-checks.js';
import type { NetworkRegistry } from './network-registry.js';
import type { UpdatePlan } from './network-update-plan.js';

export interface UpdateContext {
  registry: NetworkRegistry;
  dataplane: NetworkDataplane;
  log: Logger;
  /** Replaces a wireguard overlay's peers (the engine's own step, shared with network.setPeers). */
  applyPeers: (record: NetworkRecord, peers: NonNullable<NetworkConfig['peers']>) => Promise<void>;
  describe: (record: NetworkRecord) => Promise<Network>;
}

function addressLine(verb: 'add' | 'del', config: NetworkConfig): string[] {
  return config.subnet ? [`addr ${verb} ${config.subnet.gateway}/${config.subnet.prefix}${verb === 'add' ? ' brd +' : ''} dev ${config.bridge}`] : [];
}

/** Whether dnsmasq's config differs between the two: it is rendered from these fields only. */
function dnsmasqChanged(a: NetworkConfig, b: NetworkConfig): boolean {
  const pick = (c: NetworkConfig) => JSON.stringify([c.subnet, c.dhcp, c.dns, c.domain]);
  return pick(a) !== pick(b);
}

async function syncDnsmasqFor(dataplane: NetworkDataplane, record: NetworkRecord, before: NetworkConfig): Promise<void> {
  if (needsDnsmasq(record.config)) await dataplane.syncDnsmasq(record, 'restart');
  else if (needsDnsmasq(before)) await dataplane.removeDnsmasq(before);
}

/** What the host shares: new forwards' host ports must be free, a new subnet may overlap no host address. */
export async function checkUpdateOnHost(runner: CommandRunner, config: NetworkConfig, plan: UpdatePlan, others: readonly NetworkConfig[], signal: AbortSignal): Promise<void> {
  const fields = new Set(plan.changes.map((c) => c.field));
  if (fields.has('forwards')) {
    const added = plan.next.forwards.filter((f) => !config.forwards.some((o) => o.hostPort === f.hostPort && o.protocol === f.protocol));
    await checkPorts(runner, added, others, signal);
  }
  if (fields.has('subnet')) {
    const links = new Map(await readHostLinks(runner, signal));
    // The bridge itself holds the old address: it is no obstacle.
    links.delete(config.bridge);
    checkHost({ ...plan.next, uplinks: [], overlay: null }, links);
  }
}

export async function updateNetwork(ctx: UpdateContext, record: NetworkRecord, plan: UpdatePlan, op: OperationHandle): Promise<NetworkUpdateResult> {
  const { dataplane, registry } = ctx;
  const before = structuredClone(record.config);
  const fields = new Set(plan.changes.map((c) => c.field));
  if (fields.size === 0) return { network: await ctx.describe(record), changes: [] };
  const { peers, ...rest } = plan.next;

  // Registered first, so it runs last: every kernel step below is undone against the old config.
  op.onUndo(async () => {
    record.config = structuredClone(before);
    await registry.save(record).catch((err: unknown) => ctx.log.warn({ err, network: before.name }, 'could not write back the record of a failed update'));
  });

  if (fields.has('peers')) {
    op.progress({ phase: 'changing the peers', cancellable: false });
    const oldPeers = before.peers;
    op.onUndo(() => ctx.applyPeers(record, oldPeers));
    await ctx.applyPeers(record, peers);
  }

  const nextConfig: NetworkConfig = { ...rest, peers: record.config.peers, overlay: record.config.overlay };
  if (fields.has('subnet')) {
    op.throwIfCancelled();
    op.progress({ phase: 'changing the bridge address' });
    op.onUndo(() => dataplane.links.forceBatch([...addressLine('del', nextConfig), ...addressLine('add', before)]));
    await dataplane.links.forceBatch([...addressLine('del', before), ...addressLine('add', nextConfig)]);
  }

  op.throwIfCancelled();
  op.progress({ phase: 'firewall rules' });
  record.config = nextConfig;
  // The table is rendered from the records in memory: undo renders it again from the old config.
  op.onUndo(async () => {
    record.config = structuredClone(before);
    await dataplane.firewall.sync();
  });
  await dataplane.ensureForwarding(op.signal);
  await dataplane.firewall.sync(op.signal);

  if (dnsmasqChanged(before, nextConfig)) {
    op.throwIfCancelled();
    // Not interrupted: a dnsmasq killed after it forked would leave a daemon no pid file names.
    op.progress({ phase: 'restarting dnsmasq', cancellable: false });
    op.onUndo(async () => {
      const failed = { ...record, config: nextConfig };
      record.config = structuredClone(before);
      await syncDnsmasqFor(dataplane, record, failed.config);
    });
    await syncDnsmasqFor(dataplane, record, before);
  }
  op.throwIfCancelled();
  await registry.save(record);
  ctx.log.info({ network: record.config.name, changed: [...fields] }, 'network updated');
  return { network: await ctx.describe(record), changes: plan.changes };
}
