// A VM state as a dot of colour and its word, so it reads without colour vision; while
// something holds the VM, what holds it, in the accent, with the operation as its title.
import type { VmState } from '../../../../src-shared/vm.js';
import { VM_STATE_TEXT, VM_STATE_TONE } from '../../lib/vm-format.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';

export function VmStateBadge({ state, busy }: { state: VmState; busy: ResourceBusy | null }) {
  return (
    <span className={`vm-state vm-state--${busy ? 'busy' : VM_STATE_TONE[state]}`} data-state={state} data-busy={busy ? true : undefined} title={busy?.reason}>
      <span className="vm-state__dot" aria-hidden="true" />
      {busy?.status ?? VM_STATE_TEXT[state]}
    </span>
  );
}
