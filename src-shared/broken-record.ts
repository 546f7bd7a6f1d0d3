// A resource whose state file cannot be read: listed apart (every list result carries
// `broken` beside its items, one shape for VMs, capsules and networks), inspectable
// through the error its verbs answer, and removable with the kind's delete verb.
import { z } from 'zod';

export const BrokenRecordSchema = z.strictObject({
  name: z.string(),
  state: z.literal('broken'),
  /** The file and what is wrong with it, as a person reads it. */
  stateReason: z.string(),
  file: z.string(),
});
export type BrokenRecord = z.infer<typeof BrokenRecordSchema>;

/** What a list result carries beside its items; absent from older helpers' answers. */
export const brokenList = BrokenRecordSchema.array().default([]);

/** The details of the `failed_precondition` a verb answers for a broken resource. */
export function brokenDetails(details: unknown): BrokenRecord | null {
  const parsed = z.strictObject({ broken: BrokenRecordSchema }).safeParse(details);
  return parsed.success ? parsed.data.broken : null;
}
