// What a capsule's lifecycle buttons do beyond calling the helper: "Stop" counts the
// capsule's stop timeout down with a "Kill" beside it (a forced capsule.stop, which cuts the
// waiting stop short), and every finished action says how it went, in words, from the
// capsule the helper answers with (a SIGKILL means the process ignored SIGTERM). Failures
// stay beside the capsule until dismissed (the store keeps them).
import { useRef, useState, type ReactNode } from 'react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { StopCountdown } from '../../components/StopCountdown.js';
import { CAPSULE_ACTION_LABEL, type CapsuleAction } from '../../lib/capsule-format.js';
import { errorWords } from '../../lib/error-words.js';
import { announce, announceFailure } from '../../stores/toast-store.js';
import { useCapsuleStore } from './capsule-context.js';

const DONE: Record<Exclude<CapsuleAction, 'stop'>, string> = { start: 'Started', restart: 'Restarted', pause: 'Paused', resume: 'Resumed' };

/** How a stop ended, in words: graceful, killed after the timeout, or killed on request. */
export function stopOutcome(name: string, stopped: Pick<Capsule, 'lastExit'>, afterSec: number, killedOnRequest: boolean): string {
  const killed = stopped.lastExit?.signal === 'SIGKILL';
  if (!killed) return `Stopped '${name}' after ${afterSec} s`;
  if (killedOnRequest) return `Killed '${name}' after ${afterSec} s, as asked`;
  return `Stopped '${name}' after ${afterSec} s: the process ignored SIGTERM, so it was killed`;
}

export function useCapsulePower(capsule: Capsule): { onAction: (a: CapsuleAction) => void; countdown: ReactNode } {
  const { client } = useServices();
  const store = useCapsuleStore();
  const name = capsule.name;
  const [stopStartedAt, setStopStartedAt] = useState<number | null>(null);
  const killed = useRef(false);

  const kill = async (): Promise<void> => {
    killed.current = true;
    try {
      await client.call('capsule.stop', { name, force: true });
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      announceFailure(`Could not kill ${name}: ${words.title}`, words.sentence);
    }
  };

  const stop = async (): Promise<void> => {
    const startedAt = Date.now();
    killed.current = false;
    setStopStartedAt(startedAt);
    let result: Capsule | null = null;
    const ok = await store.getState().run(name, CAPSULE_ACTION_LABEL.stop.busy, async () => {
      result = await client.call('capsule.stop', { name });
    });
    setStopStartedAt(null);
    if (!ok || !result) return;
    announce(stopOutcome(name, result, Math.max(1, Math.round((Date.now() - startedAt) / 1000)), killed.current));
  };

  const onAction = (action: CapsuleAction): void => {
    if (action === 'stop') return void stop();
    void store
      .getState()
      .act(name, action)
      .then((ok) => ok && announce(`${DONE[action]} '${name}'`));
  };

  const countdown = stopStartedAt !== null && (
    <StopCountdown startedAt={stopStartedAt} graceSec={capsule.spec.stopTimeoutSec} forceLabel="Kill" dueIn="Killed in" due="Killing…" method="capsule.stop" what={name} onForce={() => void kill()} />
  );
  return { onAction, countdown };
}
