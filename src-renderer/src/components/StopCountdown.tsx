// A stop in its grace period: the seconds left before Nova forces it, ticking, and the
// button that does it now ("Force off" for a VM, "Kill" for a capsule). The count is
// the UI's own clock from when it asked, so it is what the person waits, not a promise.
import { Power } from 'lucide-react';
import { useEffect, useState } from 'react';
import '../styles/feedback.css';

interface StopCountdownProps {
  readonly startedAt: number;
  readonly graceSec: number;
  readonly forceLabel: string;
  readonly what: string;
  readonly onForce: () => void;
  /** The words while counting and once it is due: "Forced off in" / "Forcing off…" unless given. */
  readonly dueIn?: string;
  readonly due?: string;
  /** The helper method the force button calls, for the parity table's data-method. */
  readonly method?: string;
}

export function StopCountdown({ startedAt, graceSec, forceLabel, what, onForce, dueIn = 'Forced off in', due = 'Forcing off…', method }: StopCountdownProps) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil(graceSec - (now - startedAt) / 1000));
  return (
    <span className="stop-countdown" role="timer" aria-live="off" aria-label={`Stopping ${what}`}>
      <span data-seconds-left={left}>{left > 0 ? `${dueIn} ${left} s` : due}</span>
      <button type="button" className="button vm-btn-sm vm-btn-danger" data-method={method} onClick={onForce}>
        <Power aria-hidden="true" size={13} />
        {forceLabel}
      </button>
    </span>
  );
}
