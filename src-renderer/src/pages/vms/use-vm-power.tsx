// What the VM's power buttons do beyond calling the helper: "Force off" asks first; "Stop"
// counts its grace period down with a "Force off" beside it; and each finished one says how
// it ended, from what vm.stop reports (graceful, or turned off because the guest ignored
// the power button). The other actions go straight to the store.
import { useRef, useState, type ReactNode } from 'react';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { StopCountdown } from '../../components/StopCountdown.js';
import { errorWords } from '../../lib/error-words.js';
import type { VmAction } from '../../lib/vm-format.js';
import { announce, announceFailure } from '../../stores/toast-store.js';
import { useVmStore } from './vm-context.js';

/** How long the guest gets to shut down after the power button, as `nova vm stop` gives it. */
export const VM_STOP_GRACE_SEC = 30;

const DONE: Partial<Record<VmAction, string>> = { start: 'Started', pause: 'Paused', resume: 'Resumed', reboot: 'Reset', suspend: 'Suspended to disk' };

export function useVmPower(name: string): { onAction: (a: VmAction) => void; countdown: ReactNode; dialog: ReactNode } {
  const { client } = useServices();
  const store = useVmStore();
  const { confirm, dialog } = useConfirm();
  const [stopStartedAt, setStopStartedAt] = useState<number | null>(null);
  const forced = useRef(false);

  const forceOff = async (): Promise<void> => {
    forced.current = true;
    try {
      await client.call('vm.stop', { name, force: true });
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      announceFailure(`Could not force ${name} off: ${words.title}`, words.sentence);
    }
  };

  const stop = async (): Promise<void> => {
    const startedAt = Date.now();
    forced.current = false;
    setStopStartedAt(startedAt);
    let graceful = false;
    const ok = await store.getState().run(name, 'Stopping…', async () => {
      graceful = (await client.call('vm.stop', { name, timeoutMs: VM_STOP_GRACE_SEC * 1000 })).graceful;
    });
    setStopStartedAt(null);
    if (!ok) return;
    const after = Math.max(1, Math.round((Date.now() - startedAt) / 1000));
    if (graceful) announce(`Stopped '${name}'`, `The guest shut down after ${after} s.`);
    else if (forced.current) announce(`Forced '${name}' off after ${after} s`, 'What the guest had not saved is lost.');
    else announce(`Stopped '${name}' after ${after} s: the guest ignored the power button, so it was turned off`);
  };

  const onAction = (action: VmAction): void => {
    if (action === 'stop') return void stop();
    if (action === 'forceStop') {
      void (async () => {
        const yes = await confirm({
          title: `Force ${name} off?`,
          body: <p>{`${name} is turned off at once, like pulling the plug: what the guest has not written to its disks is lost.`}</p>,
          confirmLabel: 'Force off',
        });
        if (yes && (await store.getState().act(name, 'forceStop'))) announce(`Forced '${name}' off`);
      })();
      return;
    }
    if (action === 'discardSuspend') {
      void (async () => {
        const yes = await confirm({
          title: `Discard ${name}'s saved state?`,
          body: <p>{`${name} was suspended to disk. Discarding its saved state leaves it stopped, as after a power cut: what the guest had not written to its disks is lost.`}</p>,
          confirmLabel: 'Discard',
        });
        if (yes && (await store.getState().act(name, 'discardSuspend'))) announce(`Discarded the saved state of '${name}'`);
      })();
      return;
    }
    void store
      .getState()
      .act(name, action)
      .then((ok) => {
        const done = DONE[action];
        if (ok && done) announce(`${done} '${name}'`);
      });
  };

  const countdown = stopStartedAt !== null && (
    <StopCountdown startedAt={stopStartedAt} graceSec={VM_STOP_GRACE_SEC} forceLabel="Force off" what={name} onForce={() => void forceOff()} />
  );
  return { onAction, countdown, dialog };
}
