// Where inside the VM section the URL hash points: `#/vms` (the list), `#/vms/new`
// (the wizard) or `#/vms/NAME/TAB`. Kept in the hash so reloads and links land back here.
import { VM_NAME_PATTERN } from '../../../src-shared/vm.js';

export const VM_TABS = ['overview', 'graphs', 'serial', 'snapshots', 'settings'] as const;
export type VmTab = (typeof VM_TABS)[number];

export type VmView = { kind: 'list' } | { kind: 'create' } | { kind: 'vm'; name: string; tab: VmTab };

export function vmViewFromHash(hash: string): VmView {
  const [section, name, tab] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  if (section !== 'vms' || !name) return { kind: 'list' };
  if (name === 'new') return { kind: 'create' };
  if (!VM_NAME_PATTERN.test(name)) return { kind: 'list' };
  return { kind: 'vm', name, tab: (VM_TABS as readonly string[]).includes(tab ?? '') ? (tab as VmTab) : 'overview' };
}

export function vmHref(view: VmView): string {
  if (view.kind === 'list') return '#/vms';
  if (view.kind === 'create') return '#/vms/new';
  return view.tab === 'overview' ? `#/vms/${view.name}` : `#/vms/${view.name}/${view.tab}`;
}

/** The console window's page; the VM name (and a saved host's, `VM@HOST`) rides in the hash, never the password. */
export function consoleWindowUrl(name: string, host = 'local'): string {
  return `console.html#${encodeURIComponent(name)}${host === 'local' ? '' : `@${encodeURIComponent(host)}`}`;
}

/** `VM` or `VM@HOST` from the console window's hash. */
export function consoleWindowTarget(hash: string): { name: string; host: string } {
  const [name = '', host = 'local'] = decodeURIComponent(hash.replace(/^#/, '')).split('@');
  return { name, host };
}

/** A VM's page with its Move dialog open (the command palette's "Move VM … to another host"). */
export function vmMoveHref(name: string): string {
  return `${vmHref({ kind: 'vm', name, tab: 'overview' })}?move`;
}

export function asksMove(hash: string): boolean {
  return /\?move$/.test(hash);
}
