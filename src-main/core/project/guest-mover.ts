// How `nova up` moves a guest the file places on another host than the one that has it:
// a running VM live (its memory and disks copied while it runs), a stopped VM or a
// capsule cold (its disks or layers copied, its definition made again there). The apply
// asks for the move; what carries it out is given to it (core/hosts/project-guest-mover.ts).
import type { GuestKind } from './apply-order.js';

export interface GuestMove {
  kind: GuestKind;
  name: string;
  from: string;
  to: string;
  /** One line of progress about the guest. */
  say: (line: string) => void;
}

export interface GuestMover {
  /** A running VM, moved while it runs; it runs at `to` afterwards, and nothing of it is left at `from`. */
  live(move: GuestMove): Promise<void>;
  /** A stopped VM or a capsule; it is left as it was (stopped or running) at `to`. */
  cold(move: GuestMove): Promise<void>;
}
