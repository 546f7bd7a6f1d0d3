// A guest's life beyond one `nova up` in a NovaFile: `autostart` (VMs and capsules: true,
// or a table with the order and delay the helper starts it in when the host boots),
// `restart` for VMs (the contract's no | on-crash | always), and a VM's `shares`, host
// folders written as capsule volumes are ("./src:/mnt/src:ro", relative to the NovaFile's
// folder; the config resolves them).
import { z } from 'zod';
import { MAX_VM_SHARES } from '../../../src-shared/vm-shares.js';
import { AUTOSTART_MAX_DELAY_SECONDS, AUTOSTART_MAX_ORDER, VmRestartPolicySchema, type Autostart } from '../../../src-shared/vm-lifecycle.js';
import { describeValue, fail, ok, parseVolume, parseWaitDuration } from '../../../src-shared/vocabulary/index.js';
import { choiceOf, layered, list, parsedString, table } from './novafile-schema-kit.js';

const delay = parsedString('a delay such as "10s"', (text) => {
  const parsed = parseWaitDuration(text);
  if (!parsed.ok) return parsed;
  if (parsed.value % 1000 !== 0) return fail(`${describeValue(text)} is not a whole number of seconds`);
  const seconds = parsed.value / 1000;
  return seconds > AUTOSTART_MAX_DELAY_SECONDS ? fail(`${describeValue(text)} is longer than ${AUTOSTART_MAX_DELAY_SECONDS}s`) : ok(seconds);
});

const autostartTable = table(
  {
    /** Lower starts first; ties by name. */
    order: layered(z.number().int().min(0).max(AUTOSTART_MAX_ORDER), `a whole number from 0 to ${AUTOSTART_MAX_ORDER}`).optional(),
    /** Waited before this guest starts. */
    delay: delay.optional(),
  },
  'true, false, or a table such as autostart = { order = 1, delay = "10s" }',
);

const AUTOSTART_HELP = 'true, false, or a table such as { order = 1, delay = "10s" }';

/** `autostart = true | false | { order, delay }`: null for false, the contract's shape otherwise; a table's problems at their keys. */
export const autostartKey = z.unknown().transform((value, ctx): Autostart | null => {
  if (value === false) return null;
  if (value === true) return { order: 0, delaySeconds: 0 };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `expected ${AUTOSTART_HELP}, got ${describeValue(value)}`, input: value });
    return z.NEVER;
  }
  const parsed = autostartTable.safeParse(value);
  if (parsed.success) return { order: parsed.data.order ?? 0, delaySeconds: parsed.data.delay ?? 0 };
  // Passed on as they are: an unknown key keeps its code, which the parser words itself.
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: value } as z.core.$ZodRawIssue);
  return z.NEVER;
});

const restartPolicy = VmRestartPolicySchema;
export const vmRestartKey = layered(restartPolicy, choiceOf(restartPolicy.options, 'a restart policy'));

/** "host:guest[:ro]" per share, each guest path once. */
export const sharesKey = list(parsedString('a shared folder such as "./src:/mnt/src:ro"', parseVolume), 'shared folders')
  .max(MAX_VM_SHARES, `at most ${MAX_VM_SHARES} shared folders`)
  .superRefine((shares, ctx) => {
    shares.forEach((share, index) => {
      if (shares.findIndex((s) => s.target === share.target) < index) ctx.addIssue({ code: 'custom', path: [index], message: `${share.target} is shared twice in this VM` });
    });
  });
