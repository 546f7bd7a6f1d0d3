// Checks on `depends_on` that span tables: every name is a VM or capsule of the file,
// "healthy" waits only for a guest that has a health check, and no guest waits for
// itself through a cycle. Like novafile-references.ts, it reads the raw TOML and
// skips values the schema reports on its own.
import { closestMatch } from './did-you-mean.js';
import type { KeyPath } from './novafile-positions.js';
import { isTable, type NovaFileProblem } from './novafile-references.js';

type Table = Record<string, unknown>;

interface Edge {
  from: string;
  to: string;
  condition: unknown;
  /** Where the name is written: a list element (value) or a table key (key). */
  path: KeyPath;
  at: 'key' | 'value';
}

interface Guest {
  group: string;
  body: Table;
}

const GUEST_GROUPS = ['vm', 'container', 'capsule'] as const;

export function checkDependencies(raw: Table): NovaFileProblem[] {
  const guests = new Map<string, Guest[]>();
  for (const group of GUEST_GROUPS) {
    const tables = raw[group];
    if (!isTable(tables)) continue;
    for (const [name, body] of Object.entries(tables)) {
      if (isTable(body)) guests.set(name, [...(guests.get(name) ?? []), { group, body }]);
    }
  }
  const edges = [...guests.entries()].flatMap(([name, list]) => list.flatMap((g) => edgesOf(name, g)));
  const problems: NovaFileProblem[] = [];
  const sound: Edge[] = [];
  for (const edge of edges) {
    const problem = edgeProblem(edge, guests);
    if (problem) problems.push({ path: edge.path, at: edge.at, message: problem });
    else sound.push(edge);
  }
  return [...problems, ...cycles(sound)];
}

function edgesOf(from: string, guest: Guest): Edge[] {
  const deps = guest.body.depends_on;
  const base = [guest.group, from, 'depends_on'];
  if (Array.isArray(deps)) {
    return deps.flatMap((to: unknown, i) => (typeof to === 'string' ? [{ from, to, condition: 'started', path: [...base, i], at: 'value' as const }] : []));
  }
  if (isTable(deps)) {
    return Object.entries(deps).map(([to, body]) => ({ from, to, condition: isTable(body) ? (body.condition ?? 'started') : 'started', path: [...base, to], at: 'key' as const }));
  }
  return [];
}

function edgeProblem(edge: Edge, guests: ReadonlyMap<string, Guest[]>): string | null {
  const target = guests.get(edge.to);
  if (!target) {
    const guess = closestMatch(edge.to, [...guests.keys()].filter((n) => n !== edge.from));
    return `depends_on names "${edge.to}", which is no VM or capsule of this file${guess ? `; did you mean "${guess}"?` : ''}`;
  }
  if (edge.to === edge.from) return `"${edge.from}" cannot depend on itself`;
  if (target.length > 1) return `"${edge.to}" is both a VM and a capsule in this file; give one of them another name`;
  const [only] = target;
  if (edge.condition === 'healthy' && only && only.body.health === undefined) {
    const table = only.group === 'vm' ? 'vm' : 'capsule';
    return `"${edge.to}" has no health check to wait for; add a [${table}.${edge.to}.health] table or use condition = "started"`;
  }
  return null;
}

/** One problem per cycle, at the depends_on entry that closes it. */
function cycles(edges: readonly Edge[]): NovaFileProblem[] {
  const out = new Map<string, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const problems: NovaFileProblem[] = [];
  const visit = (node: string): void => {
    state.set(node, 'active');
    stack.push(node);
    for (const e of out.get(node) ?? []) {
      const seen = state.get(e.to);
      if (seen === 'active') {
        const loop = [...stack.slice(stack.indexOf(e.to)), e.to];
        problems.push({ path: e.path, at: e.at, message: `depends_on makes a cycle: ${loop.join(' -> ')}; no guest of it could start first` });
      } else if (seen === undefined) visit(e.to);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...out.keys()].sort()) if (!state.has(node)) visit(node);
  return problems;
}
