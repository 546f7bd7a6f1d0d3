// Shared folders: a host folder the guest mounts by its tag ("mount -t virtiofs share0
// /mnt/src", or "-t 9p" on the fallback), written as capsule volumes are,
// "host:guest[:ro|:rw]". The definition keeps each with its tag and its transport, which
// stay the same while the share does, so a guest's fstab keeps working when another share
// is added or removed.
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
  /** virtiofs (virtiofsd, q35 only) or QEMU's own 9p server; absent: 9p, as older records were. */
  via: z.enum(['virtiofs', '9p']).optional(),
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

export type ShareTransport = 'virtiofs' | '9p';

/** What a share is carried by; older records name none and ran on 9p. */
export function shareTransport(share: VmShare): ShareTransport {
  return share.via ?? '9p';
}

/** The command a guest mounts the share with. */
export function guestMountCommand(share: VmShare): string {
  return shareTransport(share) === 'virtiofs' ? `mount -t virtiofs ${share.tag} ${share.target}` : `mount -t 9p -o trans=virtio ${share.tag} ${share.target}`;
}

/**
 * The new list with tags: kept (with their transport) for shares that stay, the lowest
 * free one and `via` for new ones. Only `via` where a VM cannot have virtiofs (microvm).
 */
export function assignShareTags(current: readonly VmShare[], wanted: readonly VmShareSpec[], via: ShareTransport = '9p'): VmShare[] {
  const same = (a: { source: string; target: string }, b: { source: string; target: string }) => a.source === b.source && a.target === b.target;
  const stays = wanted.map((w) => current.find((c) => same(c, w)) ?? null);
  const kept = stays.map((c) => c?.tag ?? null);
  const used = new Set(kept.filter((t): t is string => t !== null));
  return wanted.map((w, i) => {
    let tag = kept[i];
    if (!tag) {
      let n = 0;
      while (used.has(`share${n}`)) n++;
      tag = `share${n}`;
      used.add(tag);
    }
    const transport = via === '9p' ? '9p' : (stays[i]?.via ?? (stays[i] ? '9p' : via));
    return { tag, source: w.source, target: w.target, readOnly: w.readOnly, via: transport };
  });
}
