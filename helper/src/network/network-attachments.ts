// Guests joining and leaving a network: a VM's tap or a capsule's veth on the bridge,
// with a MAC and host name derived from the network and guest names (so DHCP leases and
// DNS names survive re-creation), and dnsmasq told about it. The caller holds the lock.
import { NovaError } from '../../../src-shared/errors.js';
import type { Attachment, AttachRequest } from '../../../src-shared/network.js';
import { deleteLinksLines, planAttachmentLinks } from './bridge-manager.js';
import { readHostLinks, readNetnsNames } from './host-links.js';
import { attachmentIfname, stableMac } from './interface-names.js';
import type { AttachmentRecord, NetworkRecord } from './network-config.js';
import type { NetworkDataplane } from './network-dataplane.js';
import { checkStaticAddress } from './network-plan.js';
import type { NetworkRegistry } from './network-registry.js';
import { describeAttachment } from './network-status.js';

export interface AttachContext {
  registry: NetworkRegistry;
  dataplane: NetworkDataplane;
  ifPrefix: string;
}

export interface AttachOptions {
  /** tap: the user QEMU runs as, who must be able to open it (set by the VM engine, never by a caller). */
  tapOwner?: { uid: number; gid: number };
}

export async function attachGuest(ctx: AttachContext, req: AttachRequest, opts: AttachOptions): Promise<Attachment> {
  const { dataplane } = ctx;
  const record = await ctx.registry.require(req.network);
  const { config } = record;
  if (record.attachments.some((a) => a.resource === req.resource)) {
    throw new NovaError('already_exists', `${req.resource} is already attached to network ${req.network}`);
  }
  const netns = await readNetnsNames();
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
    hostIfname: attachmentIfname(ctx.ifPrefix, config.name, req.resource),
    mac: stableMac(config.name, req.resource),
    address,
    netns: req.kind === 'veth' ? (req.netns ?? null) : null,
    guestIfname: req.kind === 'veth' ? (req.guestIfname ?? 'eth0') : null,
    tapOwner: req.kind === 'tap' ? (opts.tapOwner ?? null) : null,
  };
  const links = await readHostLinks(dataplane.runner);
  if (!links.has(config.bridge)) throw new NovaError('failed_precondition', `network ${config.name} is down: its bridge ${config.bridge} is missing`);
  // The name is derived from this network and resource, so a leftover is ours from an earlier crash.
  if (links.has(attachment.hostIfname)) await dataplane.links.batch(deleteLinksLines([attachment.hostIfname]));
  const fresh = new Map(links);
  fresh.delete(attachment.hostIfname);
  const plan = planAttachmentLinks(config, attachment, { links: fresh, netns });
  record.attachments.push(attachment);
  try {
    await dataplane.links.apply(plan);
    await ctx.registry.save(record);
    await dataplane.syncDnsmasq(record, 'reload');
  } catch (err) {
    record.attachments = record.attachments.filter((a) => a !== attachment);
    await dataplane.links.forceBatch(deleteLinksLines(plan.created));
    await ctx.registry.save(record);
    throw err;
  }
  // The batch applied whole, so the host end is on the bridge: no need to read the links again.
  return { ...describeAttachment(config, attachment, fresh), present: true };
}

/** Removes the guest's host end (a veth's guest end goes with it) and its DHCP and DNS entries. */
export async function detachGuest(ctx: AttachContext, network: string, resource: string): Promise<NetworkRecord> {
  const { dataplane } = ctx;
  const record = await ctx.registry.require(network);
  const attachment = record.attachments.find((a) => a.resource === resource);
  if (!attachment) throw new NovaError('not_found', `${resource} is not attached to network ${network}`);
  const links = await readHostLinks(dataplane.runner);
  if (links.has(attachment.hostIfname)) await dataplane.links.batch(deleteLinksLines([attachment.hostIfname]));
  record.attachments = record.attachments.filter((a) => a !== attachment);
  await ctx.registry.save(record);
  await dataplane.syncDnsmasq(record, 'reload');
  return record;
}
