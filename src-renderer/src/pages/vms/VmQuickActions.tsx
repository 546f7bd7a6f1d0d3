// The actions a VM's state allows, as compact buttons: start, stop, pause, resume and
// the console. While something holds the VM they are off, each saying what holds it
// (the console stays: it changes nothing). In a list row each action keeps its place
// whatever the state (lib/action-slots.ts), a blank standing where one is not offered.
import { HardDriveDownload, MonitorPlay, Pause, Play, Power, RotateCcw, Square, Trash2 } from 'lucide-react';
import { useId } from 'react';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { actionSlots } from '../../lib/action-slots.js';
import { actionsFor, isLive, type VmAction } from '../../lib/vm-format.js';
import { consoleWindowUrl } from '../../lib/vm-route.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { useServices } from '../../app/services.js';
import { openConsoleWindow } from './vm-context.js';

const BUTTONS: Record<VmAction, { label: string; icon: typeof Play; method: string }> = {
  start: { label: 'Start', icon: Play, method: 'vm.start' },
  stop: { label: 'Stop', icon: Square, method: 'vm.stop' },
  forceStop: { label: 'Force off', icon: Power, method: 'vm.stop' },
  pause: { label: 'Pause', icon: Pause, method: 'vm.pause' },
  resume: { label: 'Resume', icon: Play, method: 'vm.resume' },
  reboot: { label: 'Reset', icon: RotateCcw, method: 'vm.reboot' },
  suspend: { label: 'Suspend', icon: HardDriveDownload, method: 'vm.suspend' },
  discardSuspend: { label: 'Discard saved state', icon: Trash2, method: 'vm.stop' },
};

/** The engine refuses to start a template (vm.start: failed_precondition); Start says why first. */
export const TEMPLATE_START_REASON = 'a template is not started: make a VM from it (New from template)';

/** A list row's slots: the page shows every action, a row only these. */
const ROW_SLOTS: readonly (readonly VmAction[])[] = [['start', 'resume'], ['stop'], ['pause']];

interface VmQuickActionsProps {
  readonly vm: VmInfo;
  readonly busy: ResourceBusy | null;
  readonly onAction: (action: VmAction) => void;
  /** The list shows fewer actions; the VM page shows them all. */
  readonly compact?: boolean;
}

export function VmQuickActions({ vm, busy, onAction, compact = false }: VmQuickActionsProps) {
  const { client } = useServices();
  const name = vm.definition.name;
  const available = actionsFor(vm.state);
  const shown = compact ? actionSlots(ROW_SLOTS, available) : available.map((a) => ({ slot: a, action: a as VmAction | null }));
  const hasVnc = vm.definition.display.vnc && vm.definition.machine === 'q35';
  const templateNote = useId();
  return (
    <div className="vm-actions" role="group" aria-label={`Actions for ${name}`}>
      {shown.map(({ slot, action }) => {
        if (action === null) {
          const { icon: Blank } = BUTTONS[slot];
          return (
            <span key={slot} className="button vm-btn-sm vm-actions__blank" aria-hidden="true">
              <Blank size={13} />
            </span>
          );
        }
        const { label, icon: Icon, method } = BUTTONS[action];
        const off = busy?.reason ?? (action === 'start' && vm.definition.template ? TEMPLATE_START_REASON : null);
        return (
          <button
            key={action}
            type="button"
            className={`button vm-btn-sm${action === 'start' ? ' button--primary' : ''}`}
            data-method={method}
            aria-disabled={off ? true : undefined}
            aria-label={compact ? `${label} ${name}` : undefined}
            aria-describedby={off === TEMPLATE_START_REASON ? templateNote : undefined}
            title={off ?? (compact ? label : undefined)}
            onClick={() => !off && onAction(action)}
          >
            <Icon aria-hidden="true" size={13} />
            {!compact && label}
          </button>
        );
      })}
      {hasVnc && isLive(vm.state) && (
        <button
          type="button"
          className="button vm-btn-sm"
          aria-label={compact ? `Open console of ${name}` : undefined}
          title="Open the graphical console in its own window"
          data-method="vm.consoleInfo"
          onClick={() => openConsoleWindow(name, consoleWindowUrl(name, client.host))}
        >
          <MonitorPlay aria-hidden="true" size={13} />
          {!compact && 'Open console'}
        </button>
      )}
      {vm.definition.template && available.includes('start') && (
        <span id={templateNote} className={compact ? 'visually-hidden' : 'muted vm-actions__note'}>
          Start is off: {TEMPLATE_START_REASON}.
        </span>
      )}
    </div>
  );
}
