// The lifecycle buttons a capsule's state offers (start, stop, restart, pause, resume),
// off while something holds the capsule, each saying what holds it. In a list row each
// keeps its place whatever the state (lib/action-slots.ts).
import { Pause, Play, RotateCw, Square, type LucideIcon } from 'lucide-react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { actionSlots } from '../../lib/action-slots.js';
import { CAPSULE_ACTION_LABEL, capsuleActionsFor, type CapsuleAction } from '../../lib/capsule-format.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { useCapsulePower } from './use-capsule-power.js';

const ICONS: Record<CapsuleAction, LucideIcon> = { start: Play, stop: Square, restart: RotateCw, pause: Pause, resume: Play };

// Spelled out rather than built from the action's name, so the parity table's check finds each.
const METHODS: Record<CapsuleAction, string> = { start: 'capsule.start', stop: 'capsule.stop', restart: 'capsule.restart', pause: 'capsule.pause', resume: 'capsule.resume' };

const ROW_SLOTS: readonly (readonly CapsuleAction[])[] = [['start', 'resume'], ['stop'], ['restart'], ['pause']];

/** The lifecycle buttons with what they answer: a stop's countdown and Kill, a toast per finished action. */
export function CapsulePowerActions({ capsule, busy, compact = false }: Omit<CapsuleActionsProps, 'onAction'>) {
  const { onAction, countdown } = useCapsulePower(capsule);
  return (
    <>
      {countdown}
      <CapsuleActions capsule={capsule} busy={busy} compact={compact} onAction={onAction} />
    </>
  );
}

interface CapsuleActionsProps {
  readonly capsule: Capsule;
  readonly busy: ResourceBusy | null;
  readonly compact?: boolean;
  readonly onAction: (a: CapsuleAction) => void;
}

export function CapsuleActions({ capsule, busy, compact = false, onAction }: CapsuleActionsProps) {
  return (
    <div className="vm-actions" role="group" aria-label={`Actions for ${capsule.name}`}>
      {(compact ? actionSlots(ROW_SLOTS, capsuleActionsFor(capsule.state)) : capsuleActionsFor(capsule.state).map((a) => ({ slot: a, action: a as CapsuleAction | null }))).map(({ slot, action: a }) => {
        if (a === null) {
          const Blank = ICONS[slot];
          return (
            <span key={slot} className="button vm-btn-sm vm-actions__blank" aria-hidden="true">
              <Blank size={13} />
            </span>
          );
        }
        const Icon = ICONS[a];
        const label = CAPSULE_ACTION_LABEL[a].button;
        return (
          <button
            key={a}
            type="button"
            className={`button${compact ? ' vm-btn-sm' : ''}`}
            aria-label={compact ? `${label} ${capsule.name}` : undefined}
            title={busy?.reason ?? (compact ? label : undefined)}
            aria-disabled={busy ? true : undefined}
            data-method={METHODS[a]}
            onClick={() => !busy && onAction(a)}
          >
            <Icon aria-hidden="true" size={13} />
            {!compact && label}
          </button>
        );
      })}
    </div>
  );
}
