// A capsule's state as a dot of colour and its word (with why it stopped when it
// failed), so it reads without colour vision; while something holds it, what holds it,
// in the accent, with the operation as its title. Shares the VM badge's look.
import type { Capsule } from '../../../../src-shared/capsule.js';
import { CAPSULE_STATE_TEXT, capsuleTone, exitText } from '../../lib/capsule-format.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';

export function CapsuleStateBadge({ capsule, busy, withExit = false }: { capsule: Capsule; busy: ResourceBusy | null; withExit?: boolean }) {
  const exit = capsule.state === 'stopped' || capsule.state === 'restarting' ? exitText(capsule.lastExit) : null;
  return (
    <span className={`vm-state vm-state--${busy ? 'busy' : capsuleTone(capsule)}`} data-state={capsule.state} data-busy={busy ? true : undefined} title={busy?.reason}>
      <span className="vm-state__dot" aria-hidden="true" />
      {busy?.status ?? CAPSULE_STATE_TEXT[capsule.state]}
      {withExit && !busy && exit && <span className="capsule-exit">· {exit}</span>}
    </span>
  );
}
