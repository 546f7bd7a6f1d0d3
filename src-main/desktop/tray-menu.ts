// The tray's menu as data: a pure function of what the user has (VMs, capsules, later
// projects) to labelled items and the action each one asks for. Electron's Tray only
// renders it (src-main/electron/tray.ts), so everything a user sees is tested in Node.
import type { CapsuleState } from '../../src-shared/capsule.js';
import type { VmState } from '../../src-shared/vm.js';

export interface TrayState {
  readonly vms: ReadonlyArray<{ readonly name: string; readonly state: VmState }>;
  readonly capsules: ReadonlyArray<{ readonly name: string; readonly state: CapsuleState }>;
  /** Projects (NovaFiles) appear once main tracks them; until then this stays absent. */
  readonly projects?: ReadonlyArray<{ readonly name: string; readonly up: boolean }>;
}

export type TrayAction =
  | { readonly kind: 'vm.start' | 'vm.stop' | 'vm.openConsole'; readonly name: string }
  | { readonly kind: 'capsule.start' | 'capsule.stop'; readonly name: string }
  | { readonly kind: 'project.up' | 'project.down'; readonly name: string }
  | { readonly kind: 'show' }
  | { readonly kind: 'quit' };

export type TrayMenuItem =
  | { readonly type: 'action'; readonly label: string; readonly action: TrayAction }
  /** Shown but not clickable: headings, "starting…", "nothing here yet". */
  | { readonly type: 'label'; readonly label: string }
  | { readonly type: 'submenu'; readonly label: string; readonly items: readonly TrayMenuItem[] }
  | { readonly type: 'separator' };

/** A tray menu taller than the screen is useless; the rest is one click away in the window. */
export const TRAY_GUESTS_PER_KIND = 12;

export const QUIT_LABEL = 'Quit Nova (VMs and capsules keep running)';

const separator: TrayMenuItem = { type: 'separator' };

export function trayMenu(state: TrayState): TrayMenuItem[] {
  const items: TrayMenuItem[] = [{ type: 'action', label: 'Show Nova', action: { kind: 'show' } }, separator];
  const vms = guestSection('Virtual machines', state.vms, vmEntry, (s) => s === 'running' || s === 'paused');
  const capsules = guestSection('Capsules', state.capsules, capsuleEntry, (s) => s === 'running' || s === 'paused');
  if (vms.length === 0 && capsules.length === 0) items.push({ type: 'label', label: 'No VMs or capsules yet' }, separator);
  if (vms.length > 0) items.push(...vms, separator);
  if (capsules.length > 0) items.push(...capsules, separator);
  if (state.projects && state.projects.length > 0) items.push(...projectSection(state.projects), separator);
  items.push({ type: 'action', label: QUIT_LABEL, action: { kind: 'quit' } });
  return items;
}

/** Running guests first (what a user reaches for), then by name; capped with a pointer to the window. */
function guestSection<S extends string>(
  heading: string,
  guests: ReadonlyArray<{ readonly name: string; readonly state: S }>,
  entry: (name: string, state: S) => TrayMenuItem,
  isActive: (state: S) => boolean,
): TrayMenuItem[] {
  if (guests.length === 0) return [];
  const sorted = [...guests].sort(
    (a, b) => Number(isActive(b.state)) - Number(isActive(a.state)) || a.name.localeCompare(b.name),
  );
  const shown = sorted.slice(0, TRAY_GUESTS_PER_KIND).map((g) => entry(g.name, g.state));
  const hidden = sorted.length - shown.length;
  const more: TrayMenuItem[] = hidden > 0 ? [{ type: 'action', label: `${hidden} more in Nova…`, action: { kind: 'show' } }] : [];
  return [{ type: 'label', label: heading }, ...shown, ...more];
}

function vmEntry(name: string, state: VmState): TrayMenuItem {
  const label = `${name} — ${state}`;
  switch (state) {
    case 'running':
    case 'paused':
      return {
        type: 'submenu',
        label,
        items: [
          { type: 'action', label: 'Open console', action: { kind: 'vm.openConsole', name } },
          { type: 'action', label: 'Stop', action: { kind: 'vm.stop', name } },
        ],
      };
    case 'stopped':
    case 'crashed':
    case 'suspended':
      return { type: 'submenu', label, items: [{ type: 'action', label: 'Start', action: { kind: 'vm.start', name } }] };
    case 'starting':
    case 'stopping':
      // An operation holds the VM: offering start or stop now would only be refused as `locked`.
      return { type: 'label', label: `${name} — ${state}…` };
  }
}

function capsuleEntry(name: string, state: CapsuleState): TrayMenuItem {
  const label = `${name} — ${state}`;
  switch (state) {
    case 'running':
    case 'paused':
      return { type: 'submenu', label, items: [{ type: 'action', label: 'Stop', action: { kind: 'capsule.stop', name } }] };
    case 'created':
    case 'stopped':
      return { type: 'submenu', label, items: [{ type: 'action', label: 'Start', action: { kind: 'capsule.start', name } }] };
    case 'restarting':
      return { type: 'label', label: `${name} — restarting…` };
  }
}

function projectSection(projects: NonNullable<TrayState['projects']>): TrayMenuItem[] {
  const entries = [...projects]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, up }): TrayMenuItem => ({
      type: 'submenu',
      label: `${name} — ${up ? 'up' : 'down'}`,
      items: [
        up
          ? { type: 'action', label: 'Down', action: { kind: 'project.down', name } }
          : { type: 'action', label: 'Up', action: { kind: 'project.up', name } },
      ],
    }));
  return [{ type: 'label', label: 'Projects' }, ...entries];
}
