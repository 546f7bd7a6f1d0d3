// A capsule's state as a dot of colour and its word (with why it stopped when it
// failed), so it reads without colour vision. Shares the VM badge's look.
import type { Capsule } from '../../../../src-shared/capsule.js';
import { CAPSULE_STATE_TEXT, capsuleTone, exitText } from '../../lib/capsule-format.js';

export function CapsuleStateBadge({ capsule, busy, withExit = false }: { capsule: Capsule; busy?: string | undefined; withExit?: boolean }) {
  const exit = capsule.state === 'stopped' || capsule.state === 'restarting' ? exitText(capsule.lastExit) : null;
  return (
    <span className={`vm-state vm-state--${capsuleTone(capsule)}`} data-state={capsule.state}>
      <span className="vm-state__dot" aria-hidden="true" />
      {busy ?? CAPSULE_STATE_TEXT[capsule.state]}
      {withExit && !busy && exit && <span className="capsule-exit">· {exit}</span>}
    </span>
  );
}
