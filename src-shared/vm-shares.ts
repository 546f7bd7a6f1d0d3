// Shared folders: a host folder the guest mounts by its tag ("mount -t 9p share0 /mnt/src"),
// written as capsule volumes are, "host:guest[:ro|:rw]". The definition keeps each with
// its tag, which stays the same while the share does, so a guest's fstab keeps working
// when another share is added or removed.
import { z } from 'zod';
import { VolumeSchema } from './capsule.js';

export const MAX_VM_SHARES = 8;
export const SHARE_TAG_PATTERN = /^share[0-7]$/;

export const VmShareSchema = z.strictObject({
  /** What the guest mounts: share0 ... share7. */
  tag: z.string().regex(SHARE_TAG_PATTERN, 'a share tag: share0 ... share7'),
  /** The host folder, absolute. */
  source: z.string().max(4096),
  /** Where the guest is meant to mount it (its fstab's business; shown to say so). */
  target: z.string().max(4096),
  readOnly: z.boolean(),
});
export type VmShare = z.infer<typeof VmShareSchema>;

/** `host:guest[:ro|:rw]` with an absolute host path, or the object it stands for. */
export const VmShareSpecSchema = VolumeSchema;
export type VmShareSpec = z.output<typeof VmShareSpecSchema>;

export const vmShareFields = {
  /** Absent: none (as in older records). */
  shares: z.array(VmShareSchema).max(MAX_VM_SHARES).optional(),
};

export const vmShareChanges = {
  /** The whole list; a share that stays (same host folder and guest path) keeps its tag. */
  shares: z.array(VmShareSpecSchema).max(MAX_VM_SHARES).optional(),
};

/** The new list with tags: kept for shares that stay, the lowest free one for new ones. */
export function assignShareTags(current: readonly VmShare[], wanted: readonly VmShareSpec[]): VmShare[] {
  const same = (a: { source: string; target: string }, b: { source: string; target: string }) => a.source === b.source && a.target === b.target;
  const kept = wanted.map((w) => current.find((c) => same(c, w))?.tag ?? null);
  const used = new Set(kept.filter((t): t is string => t !== null));
  return wanted.map((w, i) => {
    let tag = kept[i];
    if (!tag) {
      let n = 0;
      while (used.has(`share${n}`)) n++;
      tag = `share${n}`;
      used.add(tag);
    }
    return { tag, source: w.source, target: w.target, readOnly: w.readOnly };
  });
}
