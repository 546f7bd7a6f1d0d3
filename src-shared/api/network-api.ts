// Networks: bridges (nat, external, internal), overlays, attachments, port forwards
// and DHCP leases. Changes are served by the helper under org.nova.network.manage;
// reading them under org.nova.network.view, allowed to the active session as other views.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { brokenList } from '../broken-record.js';
import {
  AttachmentNameSchema,
  AttachmentSchema,
  AttachRequestSchema,
  DhcpLeaseSchema,
  ForwardSchema,
  NetworkNameSchema,
  NetworkSchema,
  NetworkSpecSchema,
  NetworkUpdateResultSchema,
  NetworkUpdateSchema,
  PeerSchema,
  ProtocolSchema,
} from '../network.js';
import { nameSchema } from '../vocabulary/resource-name.js';
import { defineMethod } from './define.js';

const manage = { by: 'helper', action: POLKIT_ACTIONS.networkManage } as const;
// Names, subnets, forwards and leases are what the Networks page shows anyone at the desk.
const view = { by: 'helper', action: POLKIT_ACTIONS.networkView } as const;
const byName = z.strictObject({ name: NetworkNameSchema });
const forwards = z.strictObject({ network: z.string(), forwards: z.array(ForwardSchema) });
const RepairReportSchema = z.strictObject({
  checked: z.array(z.string()),
  /** Networks that were not whole before: their bridge, rules, links or dnsmasq were put back. */
  repaired: z.array(z.string()),
  problems: z.array(z.strictObject({ network: z.string(), message: z.string() })),
});

export const networkMethods = {
  'network.list': defineMethod({
    summary: 'Every network with its status, attachments and forwards; networks whose record cannot be read under broken',
    params: z.strictObject({}),
    result: z.strictObject({ networks: z.array(NetworkSchema), broken: brokenList }),
    served: view,
  }),
  'network.get': defineMethod({
    summary: 'One network with its status, attachments and forwards',
    params: byName,
    result: NetworkSchema,
    served: view,
  }),
  'network.create': defineMethod({
    summary: 'Create a network (bridge, addresses, nftables rules, dnsmasq) or nothing at all',
    params: NetworkSpecSchema,
    result: NetworkSchema,
    served: manage,
    timeoutMs: 60_000,
  }),
  'network.delete': defineMethod({
    summary: 'Delete a network: its bridge, rules, dnsmasq and attachments',
    params: byName,
    result: z.strictObject({ name: z.string() }),
    served: manage,
    timeoutMs: 60_000,
  }),
  'network.setPeers': defineMethod({
    summary: "Replace a wireguard overlay's peers (KEY@endpoint each): each host learns the others' keys after they create their side",
    params: z.strictObject({ name: NetworkNameSchema, peers: z.array(PeerSchema).max(64) }),
    result: NetworkSchema,
    served: manage,
    timeoutMs: 60_000,
  }),
  'network.update': defineMethod({
    summary: "Change a network after create (egress allow-list, DHCP range, DNS, domain, forwards, peers; the subnet while nothing is attached): all of it or none, saying per field whether it takes effect now or when guests reconnect",
    params: NetworkUpdateSchema,
    result: NetworkUpdateResultSchema,
    served: manage,
    timeoutMs: 60_000,
  }),
  'network.suggestSubnet': defineMethod({
    summary: 'A free subnet for a new network ("10.250.2.0/24"): it overlaps no host address or route and no Nova network; null when none is left',
    params: z.strictObject({}),
    result: z.strictObject({ subnet: z.string().nullable() }),
    served: view,
  }),
  'network.adopt': defineMethod({
    summary: "Make a network of no project the project's own, so nova plan and nova up manage it (nova export --adopt)",
    params: z.strictObject({ name: NetworkNameSchema, project: nameSchema('project') }),
    result: NetworkSchema,
    served: manage,
  }),
  'network.forwardAdd': defineMethod({
    summary: 'Forward a host port to a guest on this network',
    params: z.strictObject({ network: NetworkNameSchema, forward: ForwardSchema }),
    result: forwards,
    served: manage,
  }),
  'network.forwardRemove': defineMethod({
    summary: 'Remove the forward of a host port',
    params: z.strictObject({ network: NetworkNameSchema, hostPort: z.number().int().min(1).max(65_535), protocol: ProtocolSchema.default('tcp') }),
    result: forwards,
    served: manage,
  }),
  'network.forwardList': defineMethod({
    summary: "A network's port forwards",
    params: z.strictObject({ network: NetworkNameSchema }),
    result: forwards,
    served: view,
  }),
  'network.attach': defineMethod({
    summary: "Join a VM's tap or a capsule's veth to a network, with a stable MAC",
    params: AttachRequestSchema,
    result: AttachmentSchema,
    served: manage,
  }),
  'network.detach': defineMethod({
    summary: 'Remove a resource from a network (its tap or veth goes too)',
    params: z.strictObject({ network: NetworkNameSchema, resource: AttachmentNameSchema }),
    result: z.strictObject({ network: z.string(), resource: z.string() }),
    served: manage,
  }),
  'network.repair': defineMethod({
    summary: "Put back what is missing from networks' kernel side (bridge, taps, veths, nftables rules, dnsmasq): all of them, or the one named",
    params: z.strictObject({ name: NetworkNameSchema.optional() }),
    result: RepairReportSchema,
    served: manage,
    timeoutMs: 60_000,
  }),
  'network.leases': defineMethod({
    summary: "The DHCP leases dnsmasq has handed out on a network",
    params: z.strictObject({ network: NetworkNameSchema }),
    result: z.strictObject({ network: z.string(), leases: z.array(DhcpLeaseSchema) }),
    served: view,
  }),
} as const;
