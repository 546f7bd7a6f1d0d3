// A VM's life beyond one start: whether the helper starts it when the host boots (in an
// order, after a delay) and whether it starts it again when it ends unasked. Stored as
// optional fields of the definition, so records written before them load unchanged;
// the helper (autostart.ts, restart-policy.ts), the CLI, the NovaFile and the Settings
// tab share these shapes.
import { z } from 'zod';

/** no: an end is final; on-crash: QEMU dying or the guest panicking starts it again; always: also after the guest powers itself off. A stop by a user is never undone. */
export const VmRestartPolicySchema = z.enum(['no', 'on-crash', 'always']);
export type VmRestartPolicy = z.infer<typeof VmRestartPolicySchema>;

export const AUTOSTART_MAX_ORDER = 999;
export const AUTOSTART_MAX_DELAY_SECONDS = 600;

/** Lower `order` starts first (ties by name); `delaySeconds` is waited before this one starts. */
export const AutostartSchema = z.strictObject({
  order: z.number().int('a whole number').min(0).max(AUTOSTART_MAX_ORDER).default(0),
  delaySeconds: z.number().int('a whole number of seconds').min(0).max(AUTOSTART_MAX_DELAY_SECONDS).default(0),
});
export type Autostart = z.infer<typeof AutostartSchema>;
export type AutostartIn = z.input<typeof AutostartSchema>;

/** As stored: with the user who marked it (absent: root), whom QEMU runs as at boot, never root on a user's behalf. */
export const AutostartRecordSchema = AutostartSchema.extend({
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
});

export const vmLifecycleFields = {
  /** Started by the helper when the host boots; absent: not. */
  autostart: AutostartRecordSchema.optional(),
  /** Absent: no. */
  restart: VmRestartPolicySchema.optional(),
};

export const vmLifecycleChanges = {
  /** null: no longer started at boot. */
  autostart: AutostartSchema.nullable().optional(),
  restart: VmRestartPolicySchema.optional(),
};
