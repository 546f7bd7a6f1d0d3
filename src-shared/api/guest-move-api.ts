// Moving a stopped VM or a capsule to another host (a cold move): its files are copied and
// its definition recreated there. As with a live migration, the caller (`nova vm migrate`
// on a stopped VM, `nova capsule migrate`, src-main/core/hosts/guest-cold-move.ts) holds an
// authorized connection to both helpers and carries what one gives to the other: the
// source's offer to the destination, the destination's listener and one-off TLS client
// credentials to the source, the source's list of what it sent back to the destination.
// The files go directly from host to host over that TLS connection; no helper calls another.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { CapsuleNameSchema, CapsuleSchema, CapsuleSpecSchema, CapsuleUserNamespaceSchema } from '../capsule.js';
import { DiskFormatSchema, SnapshotTreeSchema, VmDefinitionSchema, VmInfoSchema, VmNameSchema } from '../vm.js';
import { defineMethod } from './define.js';
import { MigrationClientTlsSchema, MigrationHostSchema } from './vm-migration-api.js';

const vmManage = { by: 'helper', action: POLKIT_ACTIONS.vmManage } as const;
const capsuleManage = { by: 'helper', action: POLKIT_ACTIONS.capsuleManage } as const;

/** Disks of hundreds of GiB cross a LAN in an hour or more; a stuck copy fails by itself. */
const MOVE_TIMEOUT_MS = 6 * 60 * 60_000;
/** The destination reads back every file it received to check it: minutes for large disks. */
const FINISH_TIMEOUT_MS = 60 * 60_000;

/** A path inside the copy, as the stream names it: relative, no `.`/`..` segment, no empty one. */
export const MovedPathSchema = z
  .string()
  .max(4096)
  .refine((p) => p.length > 0 && !p.startsWith('/') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'a relative path without "." or ".." segments');

/** One regular file of the copy, as the source read it: the destination checks it has exactly these. */
export const MovedFileSchema = z.strictObject({
  path: MovedPathSchema,
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type MovedFile = z.infer<typeof MovedFileSchema>;

/** Where the destination listens for the copy, and the one-off credentials the source presents there. */
export const MoveListenerSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  tls: MigrationClientTlsSchema,
});
export type MoveListener = z.infer<typeof MoveListenerSchema>;

export const MoveTargetSchema = z.strictObject({ host: MigrationHostSchema, port: z.number().int().min(1).max(65535), tls: MigrationClientTlsSchema });
export type MoveTarget = z.infer<typeof MoveTargetSchema>;

/** What the source sent: the destination's finish compares what arrived with this list. */
export const MoveSentSchema = z.strictObject({
  files: z.array(MovedFileSchema).max(1_000_000),
  /** Bytes on the wire (the stream, holes of sparse files left out). */
  streamBytes: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
});
export type MoveSent = z.infer<typeof MoveSentSchema>;

export const VmMoveDiskSchema = z.strictObject({
  id: z.string().regex(/^disk[0-9]{1,2}$/),
  format: DiskFormatSchema,
  virtualSize: z.number().int().positive(),
  /** A qcow2 over a backing file is sent as one whole image: the backing file's data comes along. */
  flattened: z.boolean(),
});

export const VmMoveOfferSchema = z.strictObject({
  definition: VmDefinitionSchema,
  disks: z.array(VmMoveDiskSchema).max(16),
  /** What comes along besides the disks, in words ("UEFI variables", "TPM state", "2 snapshot(s)"). */
  carried: z.array(z.string().max(200)).max(16),
  /** The snapshot tree: the snapshots themselves are inside the qcow2 disks, their firmware state beside them. */
  snapshots: SnapshotTreeSchema,
});
export type VmMoveOffer = z.infer<typeof VmMoveOfferSchema>;

export const CapsuleMoveOfferSchema = z.strictObject({
  spec: CapsuleSpecSchema,
  image: z.strictObject({ name: z.string().max(512), digest: z.string().max(200), sizeBytes: z.number().int().nonnegative() }),
  rootfsMode: z.enum(['overlay', 'copy']),
  userNamespace: CapsuleUserNamespaceSchema.nullable(),
  /** The spec's volumes by index: their content comes along, to the same paths on the destination. */
  volumes: z.array(z.strictObject({ source: z.string().max(4096) })).max(64),
});
export type CapsuleMoveOffer = z.infer<typeof CapsuleMoveOfferSchema>;

const ok = z.strictObject({ ok: z.literal(true) });
const vmName = z.strictObject({ name: VmNameSchema });
const capsuleName = z.strictObject({ name: CapsuleNameSchema });

export const guestMoveMethods = {
  'vm.moveOffer': defineMethod({
    summary: 'Source: what a stopped VM takes to another host (definition, disks with sizes, UEFI variables, TPM state and snapshots); refuses at once a running VM and what ties it to this host',
    params: vmName,
    result: VmMoveOfferSchema,
    served: vmManage,
    timeoutMs: 60_000,
  }),
  'vm.moveIncoming': defineMethod({
    summary: "Destination: checks the offer (name free, networks, kernel/ISO files, machine type) before making anything, then listens on `listen` for the one TLS connection carrying the VM's files into a staging folder",
    params: z.strictObject({ offer: VmMoveOfferSchema, listen: MigrationHostSchema }),
    result: MoveListenerSchema,
    served: vmManage,
    timeoutMs: 120_000,
  }),
  'vm.moveSend': defineMethod({
    summary: "Source: streams the VM's disks and firmware state to the destination over TLS (an operation with progress; cancelling leaves the VM here as it was)",
    params: z.strictObject({ name: VmNameSchema, to: MoveTargetSchema }),
    result: MoveSentSchema,
    served: vmManage,
    timeoutMs: MOVE_TIMEOUT_MS,
  }),
  'vm.moveFinish': defineMethod({
    summary: "Destination: checks every file against the source's list and only then recreates the VM here (stopped)",
    params: z.strictObject({ name: VmNameSchema, sent: MoveSentSchema }),
    result: VmInfoSchema,
    served: vmManage,
    timeoutMs: FINISH_TIMEOUT_MS,
  }),
  'vm.moveDiscard': defineMethod({
    summary: 'Destination: a move that failed or was cancelled; what arrived goes (only a VM still arriving)',
    params: vmName,
    result: ok,
    served: vmManage,
  }),
  'vm.moveComplete': defineMethod({
    summary: "Source: the destination has the VM whole; its copy here (definition, disks, folder) is removed (only a VM sent and not started since)",
    params: vmName,
    result: ok,
    served: vmManage,
  }),
  'capsule.moveOffer': defineMethod({
    summary: 'Source: what a stopped capsule takes to another host (spec, image, writable layer, volumes); refuses a running capsule',
    params: capsuleName,
    result: CapsuleMoveOfferSchema,
    served: capsuleManage,
  }),
  'capsule.moveIncoming': defineMethod({
    summary: "Destination: checks the offer (name free, network, volume folders free, runtime) before making anything, says whether its image must come too, and listens on `listen` for the one TLS connection carrying the capsule's files",
    params: z.strictObject({ offer: CapsuleMoveOfferSchema, listen: MigrationHostSchema }),
    result: MoveListenerSchema.extend({ sendImage: z.boolean() }),
    served: capsuleManage,
    timeoutMs: 120_000,
  }),
  'capsule.moveSend': defineMethod({
    summary: "Source: streams the capsule's writable layer, its volumes and, when asked, its image to the destination over TLS (an operation with progress; cancelling leaves the capsule here as it was)",
    params: z.strictObject({ name: CapsuleNameSchema, to: MoveTargetSchema, sendImage: z.boolean() }),
    result: MoveSentSchema,
    served: capsuleManage,
    timeoutMs: MOVE_TIMEOUT_MS,
  }),
  'capsule.moveFinish': defineMethod({
    summary: "Destination: checks every file against the source's list and only then recreates the capsule here (its image, layer and volumes in place, not started)",
    params: z.strictObject({ name: CapsuleNameSchema, sent: MoveSentSchema }),
    result: CapsuleSchema,
    served: capsuleManage,
    timeoutMs: FINISH_TIMEOUT_MS,
  }),
  'capsule.moveDiscard': defineMethod({
    summary: 'Destination: a move that failed or was cancelled; what arrived goes (only a capsule still arriving)',
    params: capsuleName,
    result: ok,
    served: capsuleManage,
  }),
  'capsule.moveComplete': defineMethod({
    summary: "Source: the destination has the capsule whole; it is deleted here (its volume folders, the user's files, stay)",
    params: capsuleName,
    result: ok,
    served: capsuleManage,
    timeoutMs: 120_000,
  }),
} as const;
