// The scheduler's clock. Real time, except in a helper launched with NOVA_TEST_HOOKS=1,
// where a system test may move it by writing milliseconds to STATE/test-hooks/clock-offset-ms
// (the state dir is root's), so a test drives the real scheduler through days in seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const CLOCK_OFFSET_FILE = join('test-hooks', 'clock-offset-ms');

export function helperClock(stateDir: string, env: NodeJS.ProcessEnv): Clock {
  if (env.NOVA_TEST_HOOKS !== '1') return systemClock;
  const file = join(stateDir, CLOCK_OFFSET_FILE);
  return {
    now() {
      let offset = 0;
      try {
        offset = Number(readFileSync(file, 'utf8').trim()) || 0;
      } catch {
        // No offset written: real time.
      }
      return new Date(Date.now() + offset);
    },
  };
}
