// The command palette's actions, by name: a pure function of what exists (pages, VMs,
// capsules, recent projects), so the list and its filter are tested without a DOM. Each
// action says what it does as data; CommandPalette.tsx carries it out.
import { ROUTES, routeHref } from '../app/routes.js';
import type { CapsuleState } from '../../../src-shared/capsule.js';
import type { VmState } from '../../../src-shared/vm.js';
import { capsuleHref } from './capsule-route.js';
import { projectHref, type RecentProject } from './recent-projects.js';
import { moveKindFor } from './vm-move-flow.js';
import { vmHref, vmMoveHref } from './vm-route.js';

export type PaletteEffect =
  | { kind: 'navigate'; href: string }
  | { kind: 'call'; method: 'vm.start' | 'vm.stop' | 'capsule.start' | 'capsule.stop'; name: string }
  | { kind: 'vm-console'; name: string }
  | { kind: 'project'; action: 'up' | 'down'; path: string };

export interface PaletteAction {
  id: string;
  /** What the user reads and types: "Start VM web1". */
  label: string;
  group: 'Go to' | 'Create' | 'Virtual machines' | 'Capsules' | 'Projects';
  effect: PaletteEffect;
}

/** The helper method an effect calls, for the option's data-method; none for a page change. */
export function paletteMethod(effect: PaletteEffect): string | undefined {
  if (effect.kind === 'call') return effect.method;
  if (effect.kind === 'project') return effect.action === 'up' ? 'project.up' : 'project.down';
  if (effect.kind === 'vm-console') return 'vm.consoleInfo';
  return undefined;
}

export interface PaletteInput {
  /** `template`: a VM kept to copy from, which the engine never starts. */
  vms: readonly { name: string; state: VmState; template?: boolean }[];
  capsules: readonly { name: string; state: CapsuleState }[];
  projects: readonly RecentProject[];
}

const VM_RUNNING: readonly VmState[] = ['running', 'starting', 'paused'];
const CAPSULE_RUNNING: readonly CapsuleState[] = ['running', 'paused', 'restarting'];

export function paletteActions(input: PaletteInput): PaletteAction[] {
  const actions: PaletteAction[] = ROUTES.filter((r) => !r.soon).map((r) => ({
    id: `go:${r.id}`,
    label: `Go to ${r.label}`,
    group: 'Go to',
    effect: { kind: 'navigate', href: routeHref(r.id) },
  }));
  actions.push(
    { id: 'create:vm', label: 'Create a virtual machine', group: 'Create', effect: { kind: 'navigate', href: vmHref({ kind: 'create' }) } },
    { id: 'create:capsule', label: 'Create a capsule', group: 'Create', effect: { kind: 'navigate', href: capsuleHref({ kind: 'list' }) } },
    { id: 'create:network', label: 'Create a network', group: 'Create', effect: { kind: 'navigate', href: routeHref('networks') } },
  );
  for (const vm of input.vms) {
    const running = VM_RUNNING.includes(vm.state);
    // A console shows only a running guest, so it is offered only then.
    actions.push(
      ...(running
        ? ([
            { id: `vm:stop:${vm.name}`, label: `Stop VM ${vm.name}`, group: 'Virtual machines', effect: { kind: 'call', method: 'vm.stop', name: vm.name } },
            { id: `vm:console:${vm.name}`, label: `Open console of VM ${vm.name}`, group: 'Virtual machines', effect: { kind: 'vm-console', name: vm.name } },
          ] as const)
        : vm.template
          ? ([{ id: `vm:from:${vm.name}`, label: `New VM from template ${vm.name}`, group: 'Virtual machines', effect: { kind: 'navigate', href: vmHref({ kind: 'vm', name: vm.name, tab: 'overview' }) } }] as const)
          : ([{ id: `vm:start:${vm.name}`, label: `Start VM ${vm.name}`, group: 'Virtual machines', effect: { kind: 'call', method: 'vm.start', name: vm.name } }] as const)),
      ...(moveKindFor(vm.state) ? ([{ id: `vm:move:${vm.name}`, label: `Move VM ${vm.name} to another host`, group: 'Virtual machines', effect: { kind: 'navigate', href: vmMoveHref(vm.name) } }] as const) : []),
      { id: `vm:open:${vm.name}`, label: `Go to VM ${vm.name}`, group: 'Virtual machines', effect: { kind: 'navigate', href: vmHref({ kind: 'vm', name: vm.name, tab: 'overview' }) } },
    );
  }
  for (const c of input.capsules) {
    const running = CAPSULE_RUNNING.includes(c.state);
    actions.push(
      ...(running
        ? ([
            { id: `capsule:stop:${c.name}`, label: `Stop capsule ${c.name}`, group: 'Capsules', effect: { kind: 'call', method: 'capsule.stop', name: c.name } },
            { id: `capsule:console:${c.name}`, label: `Open terminal of capsule ${c.name}`, group: 'Capsules', effect: { kind: 'navigate', href: capsuleHref({ kind: 'capsule', name: c.name, tab: 'terminal' }) } },
          ] as const)
        : ([{ id: `capsule:start:${c.name}`, label: `Start capsule ${c.name}`, group: 'Capsules', effect: { kind: 'call', method: 'capsule.start', name: c.name } }] as const)),
      { id: `capsule:open:${c.name}`, label: `Go to capsule ${c.name}`, group: 'Capsules', effect: { kind: 'navigate', href: capsuleHref({ kind: 'capsule', name: c.name, tab: 'logs' }) } },
    );
  }
  for (const p of input.projects) {
    const name = p.project ?? p.path;
    actions.push(
      { id: `project:up:${p.path}`, label: `Up project ${name}`, group: 'Projects', effect: { kind: 'project', action: 'up', path: p.path } },
      { id: `project:down:${p.path}`, label: `Down project ${name}`, group: 'Projects', effect: { kind: 'project', action: 'down', path: p.path } },
      { id: `project:open:${p.path}`, label: `Go to project ${name}`, group: 'Projects', effect: { kind: 'navigate', href: projectHref(p.path) } },
    );
  }
  return actions;
}

/**
 * Every word typed must start a word of the label or appear in it ("st web" finds
 * "Stop capsule web"); labels where all words start a word come first, the rest keep
 * their order, so the list does not jump while typing.
 */
export function filterActions(actions: readonly PaletteAction[], query: string): PaletteAction[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...actions];
  const scored: { action: PaletteAction; score: number; index: number }[] = [];
  actions.forEach((action, index) => {
    const label = action.label.toLowerCase();
    const labelWords = label.split(/[\s:/.-]+/);
    let score = 0;
    for (const w of words) {
      if (labelWords.some((lw) => lw.startsWith(w))) score += 2;
      else if (label.includes(w)) score += 1;
      else return;
    }
    scored.push({ action, score, index });
  });
  return scored.sort((a, b) => b.score - a.score || a.index - b.index).map((s) => s.action);
}
