// The topology: uplinks and overlay peers, each network's bridge, and the VMs and
// capsules attached to it, drawn with React Flow and laid out by dagre. Every node holds
// a real link or button (Tab reaches it, Enter opens it): a network opens its page, the
// rest open a detail panel beside the graph. State is colour plus a word, live from the store.
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Boxes, Globe, Monitor, Network as NetworkIcon, Router, X } from 'lucide-react';
import { useMemo, useState } from 'react';
import type { Network } from '../../../../src-shared/network.js';
import { attachmentResourceHref, networkDetailHref } from '../../lib/network-route.js';
import { buildTopology, layoutTopology, NODE_HEIGHT, NODE_WIDTH, type TopologyNodeData } from '../../lib/network-topology.js';
import { NETWORK_STATE_TEXT } from './NetworkStateBadge.js';

type FlowNode = Node<{ topo: TopologyNodeData; onOpen: (id: string) => void }, 'topology'>;

const TONE = { active: 'ok', degraded: 'warn', down: 'fail', up: 'ok' } as const;

function nodeState(data: TopologyNodeData): { tone: 'ok' | 'warn' | 'fail' | 'neutral'; text: string } {
  switch (data.kind) {
    case 'network':
      return { tone: TONE[data.state], text: NETWORK_STATE_TEXT[data.state] };
    case 'uplink':
    case 'attachment':
      return { tone: TONE[data.state], text: data.state === 'up' ? 'Up' : 'Down' };
    case 'peer':
      return { tone: 'neutral', text: 'Peer' };
  }
}

function NodeIcon({ data }: { data: TopologyNodeData }) {
  const props = { 'aria-hidden': true, size: 16 } as const;
  if (data.kind === 'network') return <NetworkIcon {...props} />;
  if (data.kind === 'uplink') return <Router {...props} />;
  if (data.kind === 'peer') return <Globe {...props} />;
  return data.resource === 'vm' ? <Monitor {...props} /> : <Boxes {...props} />;
}

function kindText(data: TopologyNodeData): string {
  switch (data.kind) {
    case 'network':
      return data.detail;
    case 'uplink':
      return 'host uplink';
    case 'peer':
      return 'overlay peer';
    case 'attachment':
      return `${data.resource === 'vm' ? 'VM' : 'capsule'} · ${data.attachment.address ?? 'DHCP'}`;
  }
}

function TopologyNode({ id, data }: NodeProps<FlowNode>) {
  const { topo, onOpen } = data;
  const state = nodeState(topo);
  const label = `${topo.kind === 'network' ? 'Network' : topo.kind === 'uplink' ? 'Uplink' : topo.kind === 'peer' ? 'Peer' : topo.resource === 'vm' ? 'VM' : 'Capsule'} ${topo.label}, ${state.text}`;
  const body = (
    <>
      <span className="topology-node__head">
        <NodeIcon data={topo} />
        <span className="topology-node__label">{topo.label}</span>
      </span>
      <span className="topology-node__meta">
        <span className={`topology-node__state topology-node__state--${state.tone}`}>{state.text}</span>
        <span className="topology-node__kind">{kindText(topo)}</span>
      </span>
    </>
  );
  return (
    <div className={`topology-node topology-node--${topo.kind} topology-node--${state.tone}`} data-node-id={id}>
      <Handle type="target" position={Position.Top} isConnectable={false} className="topology-node__handle" />
      {topo.kind === 'network' ? (
        <a className="topology-node__open" href={networkDetailHref(topo.network)} aria-label={label}>
          {body}
        </a>
      ) : (
        <button type="button" className="topology-node__open" aria-label={label} onClick={() => onOpen(id)}>
          {body}
        </button>
      )}
      <Handle type="source" position={Position.Bottom} isConnectable={false} className="topology-node__handle" />
    </div>
  );
}

const NODE_TYPES = { topology: TopologyNode };

export function TopologyView({ networks }: { networks: readonly Network[] }) {
  const [selected, setSelected] = useState<string | null>(null);
  const graph = useMemo(() => buildTopology(networks), [networks]);
  const { nodes, edges } = useMemo(() => {
    const positions = layoutTopology(graph);
    const flowNodes: FlowNode[] = graph.nodes.map((n) => ({
      id: n.id,
      type: 'topology',
      position: positions.get(n.id) ?? { x: 0, y: 0 },
      data: { topo: n.data, onOpen: setSelected },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      draggable: false,
      selectable: false,
      connectable: false,
      focusable: false,
    }));
    const flowEdges: Edge[] = graph.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      type: 'smoothstep',
      className: `topology-edge topology-edge--${e.state}`,
      label: e.label ?? undefined,
      selectable: false,
      focusable: false,
      data: { state: e.state },
    }));
    return { nodes: flowNodes, edges: flowEdges };
  }, [graph]);
  const detail = graph.nodes.find((n) => n.id === selected)?.data ?? null;

  if (networks.length === 0) {
    return (
      <div className="empty-state">
        <p className="empty-state__title">Nothing to draw yet</p>
        <p className="muted">Create a network; its uplinks, bridge and attached guests appear here.</p>
      </div>
    );
  }
  const links = graph.edges.length;
  const down = graph.edges.filter((e) => e.state === 'down').length;
  return (
    <div className="topology">
      <section className="topology__canvas" aria-label={`Network topology: ${graph.nodes.length} nodes, ${links} links, ${down} down`}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          colorMode="system"
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
          minZoom={0.2}
          nodesDraggable={false}
          nodesConnectable={false}
          nodesFocusable={false}
          edgesFocusable={false}
          elementsSelectable={false}
          // Also what gives the nodes pointer events at all: React Flow turns them off for
          // nodes that are neither draggable nor selectable and have no click handler.
          onNodeClick={(_, node: FlowNode) => {
            if (node.data.topo.kind !== 'network') setSelected(node.id);
          }}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={20} size={1} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </section>
      {detail && <NodePanel data={detail} onClose={() => setSelected(null)} />}
    </div>
  );
}

function NodePanel({ data, onClose }: { data: TopologyNodeData; onClose: () => void }) {
  const rows: Array<[string, string]> = [];
  let heading = data.label;
  let link: { href: string; text: string } | null = null;
  if (data.kind === 'attachment') {
    const a = data.attachment;
    heading = `${data.resource === 'vm' ? 'VM' : 'Capsule'} ${a.resource}`;
    rows.push(
      ['Network', data.network],
      ['Link', a.present ? 'up: on the bridge' : `down: ${a.hostIfname} is not on the bridge`],
      ['Interface', a.netns ? `${a.hostIfname} → ${a.guestIfname ?? 'eth0'} in ${a.netns}` : a.hostIfname],
      ['MAC', a.mac],
      ['Address', a.address ?? 'DHCP'],
      ['DNS name', a.hostname],
    );
    link = { href: attachmentResourceHref(a), text: `Open ${data.resource === 'vm' ? 'VM' : 'capsule'} page` };
  } else if (data.kind === 'uplink') {
    heading = `Uplink ${data.label}`;
    rows.push(['State', data.state === 'up' ? 'Up' : 'Down'], ['Used by', data.networks.join(', ')]);
  } else if (data.kind === 'peer') {
    heading = `Overlay peer ${data.label}`;
    rows.push(['Overlays', data.networks.join(', ')]);
  } else {
    rows.push(['State', NETWORK_STATE_TEXT[data.state]], ...data.reasons.map((r): [string, string] => ['Reason', r]));
    link = { href: networkDetailHref(data.network), text: 'Open network page' };
  }
  return (
    <aside className="topology-panel" aria-label={heading}>
      <header className="topology-panel__header">
        <h2 className="panel__title">{heading}</h2>
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose}>
          <X aria-hidden="true" size={16} />
        </button>
      </header>
      <dl className="facts facts--stacked">
        {rows.map(([k, v], i) => (
          <div key={`${k}-${i}`} className="facts__row">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {link && (
        <a className="button" href={link.href}>
          {link.text}
        </a>
      )}
    </aside>
  );
}
