// The kernel side of a network: its bridge, host address, uplinks, VXLAN device and the
// taps and veths of its attachments. Pure functions compare what the kernel has with
// what the config wants and emit `ip -batch` lines; BridgeManager runs them, one process per batch.
import { networkMtu, type AttachmentRecord, type NetworkConfig } from './network-config.js';
import type { HostLink } from './host-links.js';
import { runChecked, runCommand, type CommandRunner } from './command-runner.js';
import { fdbBatch, forcedLinkBatch, guestLinkBatch, linkBatch, type NetworkCommand } from './network-commands.js';

export interface LinkPlan {
  /** Lines for `ip -batch -` in the manager's namespace. */
  host: string[];
  /** Lines for `bridge -batch -` (VXLAN head-end replication entries). */
  fdb: string[];
  /** Per guest namespace: lines for `ip -n NS -batch -`. */
  guests: Array<{ netns: string; lines: string[] }>;
  bridgeCreated: boolean;
  /** Devices this plan creates, so a failed create can remove exactly them. */
  created: string[];
  /** What could not be brought back (for the network's status). */
  problems: string[];
}

export interface LinkContext {
  links: ReadonlyMap<string, HostLink>;
  netns: ReadonlySet<string>;
}

/** Everything needed to make `config` real, given what the kernel has now. Idempotent. */
export function planNetworkLinks(config: NetworkConfig, attachments: readonly AttachmentRecord[], ctx: LinkContext): LinkPlan {
  const plan: LinkPlan = { host: [], fdb: [], guests: [], bridgeCreated: false, created: [], problems: [] };
  const br = config.bridge;
  const bridge = ctx.links.get(br);
  const mtu = networkMtu(config);
  const mtuOpt = mtu === null ? '' : ` mtu ${mtu}`;
  if (!bridge) {
    // forward_delay 0: a new port forwards at once instead of listening for 15 s.
    plan.host.push(`link add name ${br} address ${config.bridgeMac}${mtuOpt} type bridge stp_state 0 forward_delay 0`);
    plan.bridgeCreated = true;
    plan.created.push(br);
  } else if (bridge.kind !== 'bridge') {
    plan.problems.push(`interface ${br} exists but is a ${bridge.kind ?? 'plain'} device, not Nova's bridge`);
    return plan;
  } else if (mtu !== null && bridge.mtu !== mtu) {
    plan.host.push(`link set dev ${br} mtu ${mtu}`);
  }
  if (config.subnet) {
    const has = bridge?.addresses.some((a) => a.local === config.subnet?.gateway && a.prefix === config.subnet.prefix);
    if (!has) plan.host.push(`addr add ${config.subnet.gateway}/${config.subnet.prefix} brd + dev ${br}`);
  }
  plan.host.push(`link set dev ${br} up`);

  if (config.overlay) {
    const o = config.overlay;
    const dev = ctx.links.get(o.device);
    if (o.underlay && !ctx.links.has(o.underlay)) {
      plan.problems.push(`underlay ${o.underlay} is missing`);
    } else if (!dev) {
      const via = o.underlay ? ` dev ${o.underlay}` : '';
      plan.host.push(`link add name ${o.device}${mtuOpt} type vxlan id ${o.vni} dstport ${o.port}${via}`);
      plan.created.push(o.device);
      for (const p of o.peers) plan.fdb.push(`fdb append 00:00:00:00:00:00 dev ${o.device} dst ${p.address} port ${p.port}`);
      plan.host.push(`link set dev ${o.device} master ${br} up`);
    } else if (dev.master !== br || !dev.up) {
      plan.host.push(`link set dev ${o.device} master ${br} up`);
    }
  }

  if (config.profile === 'external') {
    for (const uplink of config.uplinks) {
      const link = ctx.links.get(uplink);
      if (!link) plan.problems.push(`uplink ${uplink} is missing`);
      else if (link.master !== br || !link.up) plan.host.push(`link set dev ${uplink} master ${br} up`);
    }
  }

  for (const a of attachments) attachmentLinks(config, a, ctx, plan);
  return plan;
}

/** Just one attachment's devices, on a bridge that exists. */
export function planAttachmentLinks(config: NetworkConfig, a: AttachmentRecord, ctx: LinkContext): LinkPlan {
  const plan: LinkPlan = { host: [], fdb: [], guests: [], bridgeCreated: false, created: [], problems: [] };
  attachmentLinks(config, a, ctx, plan);
  return plan;
}

function attachmentLinks(config: NetworkConfig, a: AttachmentRecord, ctx: LinkContext, plan: LinkPlan): void {
  const br = config.bridge;
  const link = ctx.links.get(a.hostIfname);
  // On an overlay every port carries the tunnel's MTU; a guest end set higher would send
  // frames the VXLAN device drops without a word (a bridge does not fragment).
  const mtu = networkMtu(config);
  const mtuOpt = mtu === null ? '' : ` mtu ${mtu}`;
  if (link) {
    if (link.master !== br || !link.up || (mtu !== null && link.mtu !== mtu)) plan.host.push(`link set dev ${a.hostIfname}${mtuOpt} master ${br} up`);
    return;
  }
  if (a.kind === 'tap') {
    const owner = a.tapOwner ? ` user ${a.tapOwner.uid} group ${a.tapOwner.gid}` : '';
    plan.host.push(`tuntap add dev ${a.hostIfname} mode tap${owner}`, `link set dev ${a.hostIfname}${mtuOpt} master ${br} up`);
    plan.created.push(a.hostIfname);
    return;
  }
  // A veth whose guest namespace is gone stays gone: the capsule is not running.
  if (!a.netns || !ctx.netns.has(a.netns)) return;
  const guestIf = a.guestIfname ?? 'eth0';
  plan.host.push(
    `link add name ${a.hostIfname}${mtuOpt} type veth peer name ${guestIf}${mtuOpt} address ${a.mac} netns ${a.netns}`,
    `link set dev ${a.hostIfname} master ${br} up`,
  );
  plan.created.push(a.hostIfname);
  plan.guests.push({ netns: a.netns, lines: guestLines(config, a) });
}

/** Inside the guest's namespace: the interface up, and a static address with its route. */
export function guestLines(config: NetworkConfig, a: AttachmentRecord): string[] {
  const ifname = a.guestIfname ?? 'eth0';
  const lines = [`link set dev ${ifname} up`];
  if (a.address) {
    lines.push(`addr replace ${a.address} dev ${ifname}`);
    if (config.profile === 'nat' && config.subnet) lines.push(`route replace default via ${config.subnet.gateway} dev ${ifname}`);
  }
  return lines;
}

/**
 * Removes a network's devices; uplinks fall out of the bridge with it. Run with -force,
 * so devices already gone do not stop the rest: their names are derived from this
 * network, and the bridge's name was checked free before the network was recorded.
 */
export function teardownLines(config: NetworkConfig, attachments: readonly AttachmentRecord[]): string[] {
  const lines = attachments.map((a) => `link del dev ${a.hostIfname}`);
  if (config.overlay) lines.push(`link del dev ${config.overlay.device}`);
  lines.push(`link del dev ${config.bridge}`);
  return lines;
}

/** The commands that apply `plan`, in order: host links, VXLAN flood entries, then each guest's end. */
export function linkPlanCommands(plan: LinkPlan): NetworkCommand[] {
  const cmds: NetworkCommand[] = [];
  if (plan.host.length > 0) cmds.push(linkBatch(plan.host));
  if (plan.fdb.length > 0) cmds.push(fdbBatch(plan.fdb, 'cannot add VXLAN peers'));
  for (const g of plan.guests) if (g.lines.length > 0) cmds.push(guestLinkBatch(g.netns, g.lines));
  return cmds;
}

/** Removes exactly these devices, newest first, whichever of them exist. */
export function deleteLinksLines(devices: readonly string[]): string[] {
  return devices.map((d) => `link del dev ${d}`);
}

export class BridgeManager {
  constructor(private readonly runner: CommandRunner) {}

  async apply(plan: LinkPlan, signal?: AbortSignal): Promise<void> {
    for (const cmd of linkPlanCommands(plan)) await runChecked(this.runner, cmd, signal);
  }

  async batch(lines: readonly string[], signal?: AbortSignal): Promise<void> {
    if (lines.length > 0) await runChecked(this.runner, linkBatch(lines), signal);
  }

  /** Best effort, each line on its own (-force): used to undo, where one failure must not stop the rest. */
  async forceBatch(lines: readonly string[]): Promise<void> {
    if (lines.length > 0) await runCommand(this.runner, forcedLinkBatch(lines));
  }
}
