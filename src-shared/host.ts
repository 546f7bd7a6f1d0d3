// The host check report: what this machine can run and why, item by item.
import { z } from 'zod';

export const CheckStatusSchema = z.enum(['ok', 'warn', 'fail']);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const HostCheckGroupSchema = z.enum([
  'hardware',
  'virtualization',
  'devices',
  'containers',
  'networking',
  'desktop',
]);
export type HostCheckGroup = z.infer<typeof HostCheckGroupSchema>;

export const HostCheckItemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  group: HostCheckGroupSchema,
  label: z.string(),
  status: CheckStatusSchema,
  /** One line a person reads first: the finding. */
  summary: z.string(),
  /** What was observed, so the finding can be verified by hand. */
  evidence: z.array(z.string()),
  /** One line on what to do; null when nothing needs doing. */
  remedy: z.string().nullable(),
});
export type HostCheckItem = z.infer<typeof HostCheckItemSchema>;

export const AcceleratorSchema = z.enum(['kvm', 'tcg']);
export type Accelerator = z.infer<typeof AcceleratorSchema>;

export const HostReportSchema = z.strictObject({
  hostname: z.string(),
  generatedAt: z.string(),
  durationMs: z.number().nonnegative(),
  /** True when this report came from the cache rather than a fresh probe. */
  cached: z.boolean(),
  accelerator: AcceleratorSchema,
  /** The OCI runtime capsules will use, or null when none works. */
  ociRuntime: z.string().nullable(),
  items: z.array(HostCheckItemSchema),
});
export type HostReport = z.infer<typeof HostReportSchema>;
