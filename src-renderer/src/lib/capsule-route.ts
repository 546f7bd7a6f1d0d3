// Where inside the Capsules section the URL hash points: `#/capsules` (the list, with
// the create dialog as page state) or `#/capsules/NAME/TAB`. In the hash, so reloads and
// links (the network topology links capsules here) land back on the same view.
import { CAPSULE_NAME_PATTERN } from '../../../src-shared/capsule.js';

export const CAPSULE_TABS = ['logs', 'graphs', 'terminal', 'snapshots', 'settings'] as const;
export type CapsuleTab = (typeof CAPSULE_TABS)[number];

export type CapsuleView = { kind: 'list' } | { kind: 'capsule'; name: string; tab: CapsuleTab };

export function capsuleViewFromHash(hash: string): CapsuleView {
  const [section, rawName, tab] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  const name = rawName ? decodeURIComponent(rawName) : '';
  if (section !== 'capsules' || !CAPSULE_NAME_PATTERN.test(name)) return { kind: 'list' };
  return { kind: 'capsule', name, tab: (CAPSULE_TABS as readonly string[]).includes(tab ?? '') ? (tab as CapsuleTab) : 'logs' };
}

export function capsuleHref(view: CapsuleView): string {
  if (view.kind === 'list') return '#/capsules';
  return view.tab === 'logs' ? `#/capsules/${view.name}` : `#/capsules/${view.name}/${view.tab}`;
}
