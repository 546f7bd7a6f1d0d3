// The lifecycle buttons a capsule's state offers (start, stop, restart, pause, resume),
// disabled while another operation on it runs.
import { Pause, Play, RotateCw, Square, type LucideIcon } from 'lucide-react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { CAPSULE_ACTION_LABEL, capsuleActionsFor, type CapsuleAction } from '../../lib/capsule-format.js';

const ICONS: Record<CapsuleAction, LucideIcon> = { start: Play, stop: Square, restart: RotateCw, pause: Pause, resume: Play };

export function CapsuleActions({ capsule, busy, compact = false, onAction }: { capsule: Capsule; busy: boolean; compact?: boolean; onAction: (a: CapsuleAction) => void }) {
  return (
    <div className="vm-actions" role="group" aria-label={`Actions for ${capsule.name}`}>
      {capsuleActionsFor(capsule.state).map((a) => {
        const Icon = ICONS[a];
        const label = CAPSULE_ACTION_LABEL[a].button;
        return (
          <button
            key={a}
            type="button"
            className={`button${compact ? ' vm-btn-sm' : ''}`}
            aria-label={compact ? `${label} ${capsule.name}` : undefined}
            title={compact ? label : undefined}
            disabled={busy}
            onClick={() => onAction(a)}
          >
            <Icon aria-hidden="true" size={13} />
            {!compact && label}
          </button>
        );
      })}
    </div>
  );
}
