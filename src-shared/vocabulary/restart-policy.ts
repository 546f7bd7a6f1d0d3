// A capsule's restart policy as Docker spells it: "no", "always", "on-failure" or
// "on-failure:N" (at most N restarts).
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const MAX_RESTART_RETRIES = 1000;

export type RestartPolicy =
  | { mode: 'no' }
  | { mode: 'always' }
  /** null: no limit. */
  | { mode: 'on-failure'; maxRetries: number | null };

export function parseRestartPolicy(text: string): Parsed<RestartPolicy> {
  if (text === 'no' || text === 'always') return ok({ mode: text });
  if (text === 'on-failure') return ok({ mode: 'on-failure', maxRetries: null });
  const match = /^on-failure:(\d+)$/.exec(text);
  const retries = match ? Number(match[1]) : NaN;
  if (retries >= 1 && retries <= MAX_RESTART_RETRIES) return ok({ mode: 'on-failure', maxRetries: retries });
  if (text.startsWith('on-failure:')) {
    return fail(`${describeValue(text)}: the retry count must be a whole number from 1 to ${MAX_RESTART_RETRIES} (e.g. "on-failure:5")`);
  }
  return fail(`${describeValue(text)} is not a restart policy; use "no", "always", "on-failure" or "on-failure:N"`);
}

export function formatRestartPolicy(p: RestartPolicy): string {
  if (p.mode !== 'on-failure') return p.mode;
  return p.maxRetries === null ? 'on-failure' : `on-failure:${p.maxRetries}`;
}
