// How the global setup tells the workers where the Nova stack runs: one JSON value
// in the environment, which Playwright's workers inherit from the runner.
import type { NovaStackInfo } from './nova-stack.js';

export const STACK_ENV = 'NOVA_E2E_STACK';

export function stackInfo(): NovaStackInfo {
  const raw = process.env[STACK_ENV];
  if (!raw) throw new Error(`${STACK_ENV} is not set: run the tests with "npx playwright test -c e2e"`);
  return JSON.parse(raw) as NovaStackInfo;
}
