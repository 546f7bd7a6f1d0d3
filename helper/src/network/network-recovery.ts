// Recovery on helper start: every recorded network is brought back (tunnel, bridge,
// uplinks, attachments, rules, dnsmasq), and one whose create or delete never finished
// is torn down. Repair (`network.repair`, while the helper runs) does the bringing back
// without rereading the records. Whatever had to be repaired is announced like any change.
import type { Logger } from '../util/logger.js';
import { planNetworkLinks } from './bridge-manager.js';
import { readHostLinks, readNetnsNames } from './host-links.js';
import type { NetworkRecord } from './network-config.js';
import type { NetworkDataplane } from './network-dataplane.js';
import type { NetworkRegistry } from './network-registry.js';
import { networkStatus } from './network-status.js';

export interface RecoveryReport {
  recovered: string[];
  /** Networks torn down because a create or delete had not finished. */
  finished: string[];
  problems: Array<{ network: string; message: string }>;
}

export interface RepairReport {
  checked: string[];
  /** The networks that were not whole (status other than active) before the repair. */
  repaired: string[];
  problems: Array<{ network: string; message: string }>;
}

export interface RecoveryContext {
  registry: NetworkRegistry;
  dataplane: NetworkDataplane;
  changed: (network: string) => void;
  log: Logger;
}

/**
 * `guestsGone`: the host restarted, so no guest runs and no tap or veth of theirs is made
 * again (their owners release the attachments as they find them stopped). Making them
 * only to delete them would also leave the bridge changed (it keeps its ports' offloads).
 */
export async function recoverNetworks(ctx: RecoveryContext, opts: { guestsGone?: boolean } = {}): Promise<RecoveryReport> {
  const { registry, dataplane } = ctx;
  const report: RecoveryReport = { recovered: [], finished: [], problems: [] };
  const repaired = new Set<string>();
  const { records, damaged } = await registry.reload();
  for (const d of damaged) report.problems.push({ network: d.name, message: `its record cannot be read, so it was left as it is: ${d.problem}` });
  for (const record of records.filter((r) => r.pending)) {
    registry.forget(record.config.name);
    await dataplane.teardown(record);
    await registry.removeFile(record.config.name);
    report.finished.push(record.config.name);
    repaired.add(record.config.name);
  }
  const live = registry.loaded();
  // With no networks Nova has no table, and a helper start must not create one.
  if (live.length === 0) return finish(ctx, report, repaired);
  await restoreNetworks(ctx, live, report, repaired, opts.guestsGone === true);
  return finish(ctx, report, repaired);
}

/**
 * Brings the kernel side of existing networks (`only`: one of them) back to what their
 * records say, while the helper runs: a network being created or deleted is its
 * operation's business and is left alone. Records are not reread.
 */
export async function repairNetworks(ctx: RecoveryContext, only?: string): Promise<RepairReport> {
  const report: RecoveryReport = { recovered: [], finished: [], problems: [] };
  const repaired = new Set<string>();
  const live = ctx.registry.loaded().filter((r) => !r.pending && (only === undefined || r.config.name === only));
  if (live.length > 0) await restoreNetworks(ctx, live, report, repaired);
  finish(ctx, report, repaired, 'networks repaired');
  return { checked: live.map((r) => r.config.name).sort(), repaired: [...repaired].sort(), problems: report.problems };
}

async function restoreNetworks(ctx: RecoveryContext, live: readonly NetworkRecord[], report: RecoveryReport, repaired: Set<string>, guestsGone = false): Promise<void> {
  const { dataplane } = ctx;
  const problem = (network: string, err: unknown) => report.problems.push({ network, message: (err as Error).message });
  // What was not whole before is announced once it is repaired (or still broken, with its reasons).
  const before = await dataplane.observe(live);
  for (const r of live) if (networkStatus(r, before).state !== 'active') repaired.add(r.config.name);

  dataplane.forgetForwarding();
  const tunnelsDown = await ensureTunnels(ctx, live, report);
  const links = await readHostLinks(dataplane.runner);
  const netns = await readNetnsNames();
  const restarted = new Set<string>();
  for (const record of live) {
    const name = record.config.name;
    if (tunnelsDown.has(name)) continue;
    try {
      const plan = planNetworkLinks(record.config, guestsGone ? [] : record.attachments, { links, netns });
      for (const p of plan.problems) report.problems.push({ network: name, message: p });
      await dataplane.links.apply(plan);
      if (plan.bridgeCreated) restarted.add(name);
    } catch (err) {
      problem(name, err);
    }
  }
  await dataplane.ensureForwarding();
  try {
    await dataplane.firewall.sync();
  } catch (err) {
    problem('*', err);
  }
  for (const record of live) {
    const name = record.config.name;
    try {
      await dataplane.syncDnsmasq(record, restarted.has(name) ? 'restart' : 'ensure');
      report.recovered.push(name);
    } catch (err) {
      problem(name, err);
    }
  }
}

function finish(ctx: RecoveryContext, report: RecoveryReport, repaired: ReadonlySet<string>, what = 'networks recovered'): RecoveryReport {
  for (const name of repaired) ctx.changed(name);
  ctx.log.info({ ...report, repaired: [...repaired] }, what);
  return report;
}

/** WireGuard tunnels come before the link plan; returns the networks whose tunnel could not be made. */
async function ensureTunnels(ctx: RecoveryContext, records: readonly NetworkRecord[], report: RecoveryReport): Promise<Set<string>> {
  const down = new Set<string>();
  const tunneled = records.filter((r) => r.config.overlay?.wireguard);
  if (tunneled.length === 0) return down;
  const links = await readHostLinks(ctx.dataplane.runner);
  for (const record of tunneled) {
    try {
      await ctx.dataplane.wireguard.ensure(record.config, links);
    } catch (err) {
      down.add(record.config.name);
      report.problems.push({ network: record.config.name, message: (err as Error).message });
    }
  }
  return down;
}
