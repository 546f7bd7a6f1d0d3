// A guest page's "Move to host…" header action: it opens the Move dialog, and while the
// guest is busy it stays in place but says why it does nothing.
import { Truck } from 'lucide-react';
import type { ResourceBusy } from '../stores/resource-busy.js';

interface MoveToHostButtonProps {
  readonly method: 'vm.move' | 'capsule.move';
  readonly busy: ResourceBusy | null | undefined;
  /** What the move does to this guest, shown while it is not busy. */
  readonly title: string;
  readonly onOpen: () => void;
}

export function MoveToHostButton({ method, busy, title, onOpen }: MoveToHostButtonProps) {
  return (
    <button type="button" className="button vm-btn-sm" data-method={method} aria-disabled={busy ? true : undefined} title={busy?.reason ?? title} onClick={() => !busy && onOpen()}>
      <Truck aria-hidden="true" size={13} />
      Move to host…
    </button>
  );
}
