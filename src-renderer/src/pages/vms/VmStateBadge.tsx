// A VM state as a dot of colour and its word, so it reads without colour vision.
import type { VmState } from '../../../../src-shared/vm.js';
import { VM_STATE_TEXT, VM_STATE_TONE } from '../../lib/vm-format.js';

export function VmStateBadge({ state, busy }: { state: VmState; busy?: string | undefined }) {
  return (
    <span className={`vm-state vm-state--${VM_STATE_TONE[state]}`} data-state={state}>
      <span className="vm-state__dot" aria-hidden="true" />
      {busy ?? VM_STATE_TEXT[state]}
    </span>
  );
}
