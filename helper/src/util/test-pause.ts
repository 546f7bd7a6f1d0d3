// Crash tests need the helper to stand still at one exact step of a start, so they can
// SIGKILL it there and check what the next helper makes of it. NOVA_TEST_PAUSE_AT names
// the step and NOVA_TEST_PAUSE_SIGNAL a file the helper writes on arriving there; both are
// read once, from the environment the helper was launched with, and only together with
// NOVA_TEST_HOOKS=1: a helper given a pause without it refuses to start, so no caller can
// turn this on in a helper it did not launch itself. Unset, every pause point is a no-op.
import { writeFileSync } from 'node:fs';
import { NovaError } from '../../../src-shared/errors.js';

export const PAUSE_STEPS = [
  'vm-start:after-tap',
  'vm-start:after-swtpm',
  'vm-start:after-virtiofsd',
  'vm-start:after-spawn',
  'vm-start:after-cont',
  'capsule-start:after-mount',
  'capsule-start:after-create',
  'capsule-start:after-start',
] as const;
export type PauseStep = (typeof PAUSE_STEPS)[number];

let armed: { step: PauseStep; signalFile: string } | null = null;

/** Reads the launch environment once; throws when a pause is asked for without NOVA_TEST_HOOKS=1 or names no known step. */
export function configureTestPause(env: NodeJS.ProcessEnv): void {
  armed = null;
  const step = env.NOVA_TEST_PAUSE_AT;
  if (step === undefined || step === '') return;
  if (env.NOVA_TEST_HOOKS !== '1') throw new NovaError('invalid_argument', 'NOVA_TEST_PAUSE_AT is set but NOVA_TEST_HOOKS=1 is not: test hooks are refused in this helper');
  if (!(PAUSE_STEPS as readonly string[]).includes(step)) throw new NovaError('invalid_argument', `NOVA_TEST_PAUSE_AT=${step} names no step; known: ${PAUSE_STEPS.join(', ')}`);
  const signalFile = env.NOVA_TEST_PAUSE_SIGNAL;
  if (!signalFile || !signalFile.startsWith('/')) throw new NovaError('invalid_argument', 'NOVA_TEST_PAUSE_AT needs NOVA_TEST_PAUSE_SIGNAL, an absolute path the helper writes when it pauses');
  armed = { step: step as PauseStep, signalFile };
}

/** At the armed step: tells the test (the signal file holds the step and the helper's pid) and never returns. */
export async function pauseAt(step: PauseStep): Promise<void> {
  if (armed?.step !== step) return;
  writeFileSync(armed.signalFile, `${step} ${process.pid}\n`);
  await new Promise<never>(() => undefined);
}
