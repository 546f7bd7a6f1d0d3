// A guest's shares, autostart and restart policy between the NovaFile and the helper,
// shown the same way from a file's config and from a definition (so plan compares like
// with like), turned into the vm.update fields that make a VM match the file, and
// written back as the file's keys by export. Shares compare by host folder, guest path
// and read-only; their tags and transport are the helper's to choose.
import type { Volume } from '../../../src-shared/capsule.js';
import type { VmDefinition, VmUpdateSpecIn } from '../../../src-shared/vm.js';
import type { Autostart } from '../../../src-shared/vm-lifecycle.js';
import type { VmConfig } from '../novafile/novafile-config.js';

export const VM_LIFECYCLE_FIELDS = ['shares', 'autostart', 'restart'] as const;
export type VmLifecycleField = (typeof VM_LIFECYCLE_FIELDS)[number];
type Shown = Record<VmLifecycleField, string | null>;

const shareText = (s: Pick<Volume, 'source' | 'target' | 'readOnly'>) => `${s.source}:${s.target}${s.readOnly ? ':ro' : ''}`;
const showShares = (shares: readonly Pick<Volume, 'source' | 'target' | 'readOnly'>[]) => (shares.length === 0 ? null : shares.map(shareText).join(', '));

/** "order 0, delay 0s", or null when not started at boot. */
export function showAutostart(a: Pick<Autostart, 'order' | 'delaySeconds'> | null | undefined): string | null {
  return a ? `order ${a.order}, delay ${a.delaySeconds}s` : null;
}

export function wantedLifecycle(vm: VmConfig): Shown {
  return { shares: showShares(vm.shares ?? []), autostart: showAutostart(vm.autostart), restart: vm.restart ?? 'no' };
}

export function actualLifecycle(def: VmDefinition): Shown {
  return { shares: showShares(def.shares ?? []), autostart: showAutostart(def.autostart), restart: def.restart ?? 'no' };
}

/** The vm.update fields that take the VM (null: one just created, with none of them) to the file. */
export function lifecycleUpdate(vm: VmConfig, def: VmDefinition | null): Pick<VmUpdateSpecIn, 'shares' | 'autostart' | 'restart'> {
  const want = wantedLifecycle(vm);
  const have: Shown = def ? actualLifecycle(def) : { shares: null, autostart: null, restart: 'no' };
  const out: Pick<VmUpdateSpecIn, 'shares' | 'autostart' | 'restart'> = {};
  if (want.shares !== have.shares) out.shares = (vm.shares ?? []).map((s) => ({ source: s.source, target: s.target, readOnly: s.readOnly }));
  if (want.autostart !== have.autostart) out.autostart = vm.autostart ? { order: vm.autostart.order, delaySeconds: vm.autostart.delaySeconds } : null;
  if (want.restart !== have.restart) out.restart = vm.restart ?? 'no';
  return out;
}

/** `autostart = true`, or the table when the order or delay is not the default. */
export function autostartValue(a: Pick<Autostart, 'order' | 'delaySeconds'>): true | Record<string, unknown> {
  if (a.order === 0 && a.delaySeconds === 0) return true;
  return { ...(a.order !== 0 ? { order: a.order } : {}), ...(a.delaySeconds !== 0 ? { delay: `${a.delaySeconds}s` } : {}) };
}

/** The file's keys for a definition's shares, autostart and restart policy; defaults are left out. */
export function lifecycleKeys(def: VmDefinition): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  if (def.shares?.length) t.shares = def.shares.map(shareText);
  if (def.autostart) t.autostart = autostartValue(def.autostart);
  if (def.restart !== undefined && def.restart !== 'no') t.restart = def.restart;
  return t;
}
