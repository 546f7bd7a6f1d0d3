// The topology view's graph, built from the networks the helper reports: uplinks and
// overlay peers above, each network's bridge in the middle, attached VMs and capsules
// below, with each link's live state. Pure, so the graph is unit-tested without a DOM;
// layoutTopology places it with dagre.
import { Graph, layout } from '@dagrejs/dagre';
import type { Attachment, Network, NetworkState } from '../../../src-shared/network.js';

export type LinkState = 'up' | 'down';

export type TopologyNodeData =
  | { readonly kind: 'network'; readonly network: string; readonly label: string; readonly detail: string; readonly state: NetworkState; readonly reasons: readonly string[] }
  | { readonly kind: 'uplink'; readonly label: string; readonly state: LinkState; readonly networks: readonly string[] }
  | { readonly kind: 'peer'; readonly label: string; readonly networks: readonly string[] }
  | {
      readonly kind: 'attachment';
      readonly label: string;
      readonly network: string;
      /** tap: a VM's NIC; veth: a capsule's (or any namespace's). */
      readonly resource: 'vm' | 'capsule';
      readonly state: LinkState;
      readonly attachment: Attachment;
    };

export interface TopologyNode {
  readonly id: string;
  readonly data: TopologyNodeData;
}

export interface TopologyEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly state: LinkState;
  /** Why the link is down, shown on the edge. */
  readonly label: string | null;
}

export interface TopologyGraph {
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

export const networkNodeId = (name: string): string => `network:${name}`;
export const uplinkNodeId = (ifname: string): string => `uplink:${ifname}`;
export const peerNodeId = (host: string): string => `peer:${host}`;
export const attachmentNodeId = (network: string, resource: string): string => `attachment:${network}:${resource}`;

function describeNetwork(n: Network): string {
  const kind = n.type === 'overlay' ? `overlay ${n.driver ?? ''} VNI ${n.vni ?? '?'}`.replace('  ', ' ') : n.profile;
  return n.subnet ? `${kind} · ${n.subnet}` : kind;
}

/** The reason of `network`'s status that names `ifname`, e.g. "uplink eth1 is missing". */
function uplinkProblem(n: Network, ifname: string): string | null {
  return n.status.reasons.find((r) => new RegExp(`\\b(uplink|underlay) ${escapeRegExp(ifname)}\\b`).test(r)) ?? null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Nodes and edges for every network; uplinks and peers shared by several networks appear once. */
export function buildTopology(networks: readonly Network[]): TopologyGraph {
  const nodes = new Map<string, TopologyNode>();
  const edges: TopologyEdge[] = [];
  const uplinkUsers = new Map<string, { networks: string[]; down: boolean }>();
  const peerUsers = new Map<string, string[]>();

  for (const n of networks) {
    const id = networkNodeId(n.name);
    const bridgeDown = n.status.state === 'down';
    nodes.set(id, {
      id,
      data: { kind: 'network', network: n.name, label: n.name, detail: describeNetwork(n), state: n.status.state, reasons: n.status.reasons },
    });
    for (const ifname of n.uplinks) {
      const problem = uplinkProblem(n, ifname);
      const users = uplinkUsers.get(ifname) ?? { networks: [], down: false };
      users.networks.push(n.name);
      users.down ||= problem !== null && /(is missing|is down)$/.test(problem);
      uplinkUsers.set(ifname, users);
      const down = bridgeDown || problem !== null;
      edges.push({ id: `${uplinkNodeId(ifname)}->${id}`, source: uplinkNodeId(ifname), target: id, state: down ? 'down' : 'up', label: down ? (problem ?? 'bridge missing') : null });
    }
    for (const peer of n.peers) {
      const users = peerUsers.get(peer.host) ?? [];
      users.push(n.name);
      peerUsers.set(peer.host, users);
      const vxlanProblem = n.status.reasons.find((r) => r.startsWith('VXLAN device')) ?? null;
      const down = bridgeDown || vxlanProblem !== null;
      edges.push({ id: `${peerNodeId(peer.host)}->${id}`, source: peerNodeId(peer.host), target: id, state: down ? 'down' : 'up', label: down ? (vxlanProblem ?? 'bridge missing') : null });
    }
    for (const a of n.attachments) {
      const aid = attachmentNodeId(n.name, a.resource);
      const state: LinkState = a.present && !bridgeDown ? 'up' : 'down';
      nodes.set(aid, { id: aid, data: { kind: 'attachment', label: a.resource, network: n.name, resource: a.kind === 'tap' ? 'vm' : 'capsule', state, attachment: a } });
      edges.push({ id: `${id}->${aid}`, source: id, target: aid, state, label: state === 'down' ? (bridgeDown ? 'bridge missing' : `${a.hostIfname} not on the bridge`) : null });
    }
  }
  for (const [ifname, users] of uplinkUsers) {
    nodes.set(uplinkNodeId(ifname), { id: uplinkNodeId(ifname), data: { kind: 'uplink', label: ifname, state: users.down ? 'down' : 'up', networks: users.networks } });
  }
  for (const [host, users] of peerUsers) {
    nodes.set(peerNodeId(host), { id: peerNodeId(host), data: { kind: 'peer', label: host, networks: users } });
  }
  return { nodes: [...nodes.values()], edges };
}

export interface Positioned {
  readonly x: number;
  readonly y: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;

/** Top-left positions (React Flow's convention) from dagre's centres, top to bottom. */
export function layoutTopology(graph: TopologyGraph): Map<string, Positioned> {
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) g.setEdge(edge.source, edge.target);
  layout(g);
  const positions = new Map<string, Positioned>();
  for (const node of graph.nodes) {
    const placed = g.node(node.id);
    positions.set(node.id, { x: placed.x - NODE_WIDTH / 2, y: placed.y - NODE_HEIGHT / 2 });
  }
  return positions;
}
