// A long operation in flight: a spinner, what is happening and for how long, as a
// live region so the change is announced. The helper's jobs report no percentage
// for snapshots, so this shows elapsed time rather than a made-up bar.
import { LoaderCircle } from 'lucide-react';
import { useEffect, useState } from 'react';

export function OperationProgress({ label }: { label: string }) {
  const [started] = useState(() => Date.now());
  const [now, setNow] = useState(started);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const seconds = Math.floor((now - started) / 1000);
  return (
    <span className="op-progress" role="status" aria-live="polite">
      <LoaderCircle className="spin" aria-hidden="true" size={14} />
      {label}
      {seconds > 0 && <span className="op-progress__time">{seconds} s</span>}
    </span>
  );
}
