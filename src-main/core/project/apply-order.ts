// The order `nova up` applies a project's guests in: each guest after the guests it
// depends on (depends_on), independent ones side by side; with SERVICE names, only those
// and what they depend on, transitively. The parser has refused cycles and unknown
// names at their line, so the graph here is a forest of DAGs.
import type { Dependency } from '../../../src-shared/health.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { DesiredState } from './desired-state.js';

export type GuestKind = 'vm' | 'capsule';

export interface GuestNode {
  kind: GuestKind;
  name: string;
  dependsOn: readonly Dependency[];
  /** The networks the guest joins, created before it. */
  networks: readonly string[];
}

export function guestNodes(desired: DesiredState): GuestNode[] {
  return [
    ...desired.vms.map((v) => ({ kind: 'vm' as const, name: v.config.name, dependsOn: v.config.dependsOn, networks: v.config.networks ?? [] })),
    ...desired.capsules.map((c) => ({ kind: 'capsule' as const, name: c.config.name, dependsOn: c.config.dependsOn, networks: c.config.network !== undefined ? [c.config.network] : [] })),
  ];
}

/** The names to apply for `nova up SERVICE...`: the services and, transitively, what they depend on; all when none are named. */
export function selectGuests(nodes: readonly GuestNode[], services: readonly string[]): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (services.length === 0) return new Set(byName.keys());
  const chosen = new Set<string>();
  const visit = (name: string, from: string | null): void => {
    const node = byName.get(name);
    if (!node) {
      const known = [...byName.keys()].join(', ') || 'none';
      throw new NovaError('invalid_argument', from ? `${from} depends on ${name}, which the file does not declare` : `no VM or capsule named ${name} in the file (it has: ${known})`);
    }
    if (chosen.has(name)) return;
    chosen.add(name);
    for (const d of node.dependsOn) visit(d.name, name);
  };
  for (const s of services) visit(s, null);
  return chosen;
}

/** Guests with every dependency before them (Kahn's order, ties by name), for messages and tests. */
export function dependencyOrder(nodes: readonly GuestNode[]): string[] {
  const pending = new Map(nodes.map((n) => [n.name, new Set(n.dependsOn.map((d) => d.name).filter((d) => nodes.some((m) => m.name === d)))]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending.entries()].filter(([, deps]) => deps.size === 0).map(([name]) => name).sort();
    if (ready.length === 0) throw new NovaError('invalid_argument', `depends_on makes a cycle among ${[...pending.keys()].sort().join(', ')}`);
    for (const name of ready) {
      order.push(name);
      pending.delete(name);
      for (const deps of pending.values()) deps.delete(name);
    }
  }
  return order;
}
