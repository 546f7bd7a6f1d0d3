// Moving a VM to another host from the app: main holds a connection to each helper (this
// machine's socket, saved hosts through its connection pool) and runs the same steps as
// `nova vm migrate` (vm-migration.ts live, guest-cold-move.ts for a stopped VM), pushing the
// send's progress as `vm.moveProgress` events. The steps themselves are the helpers' (vm-migration-api.ts).
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { OperationSchema } from '../operation.js';
import { VmNameSchema } from '../vm.js';
import type { HostAddress } from '../vocabulary/host-address.js';
import { MigrationHostSchema, MigrationResultSchema } from './vm-migration-api.js';
import { defineMethod } from './define.js';

const manage = { by: 'main', action: POLKIT_ACTIONS.vmManage } as const;

/** Disks and memory of a large guest cross a LAN in minutes; the send's own bound ends a stuck one. */
export const MOVE_TIMEOUT_MS = 60 * 60_000;

/** `local` or a saved host's name, as the host switcher names them. */
export const HostParamSchema = z.string().min(1).max(64);

/** A running VM moves live (memory and disks while it runs); a stopped one is copied cold (its files). */
export const VmMoveKindSchema = z.enum(['live', 'cold']);
export type VmMoveKind = z.infer<typeof VmMoveKindSchema>;

/** From the offer to the source's copy removed. */
export const WallMsSchema = z.number().nonnegative();

export const LiveMoveReportSchema = MigrationResultSchema.extend({ kind: z.literal('live'), wallMs: WallMsSchema });
export type LiveMoveReport = z.infer<typeof LiveMoveReportSchema>;

export const ColdMoveReportSchema = z.strictObject({
  kind: z.literal('cold'),
  /** Files copied, their bytes as the guest sees them, and the bytes on the wire (holes left out). */
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  streamBytes: z.number().int().nonnegative(),
  wallMs: WallMsSchema,
});
export type ColdMoveReport = z.infer<typeof ColdMoveReportSchema>;

export const VmMoveReportSchema = z.discriminatedUnion('kind', [LiveMoveReportSchema, ColdMoveReportSchema]);
export type VmMoveReport = z.infer<typeof VmMoveReportSchema>;

/** Where a move stands: the steps before and after the send are quick, the send reports its operation. */
export const VmMoveStepSchema = z.enum(['checking', 'preparing', 'sending', 'finishing', 'moved', 'failed', 'cancelled']);
export type VmMoveStep = z.infer<typeof VmMoveStepSchema>;

/** Where the move of a guest named by `name` stands, as the Move dialog follows it. */
export function moveProgressSchema<N extends z.ZodType<string>>(name: N) {
  return z.strictObject({
    name,
    from: z.string(),
    to: z.string(),
    step: VmMoveStepSchema,
    /** The source's send operation (phase, bytes, fraction), once it has started. */
    operation: OperationSchema.nullable(),
  });
}

export const VmMoveProgressSchema = moveProgressSchema(VmNameSchema);
export type VmMoveProgress = z.infer<typeof VmMoveProgressSchema>;

export const vmMoveMethods = {
  'vm.move': defineMethod({
    summary:
      "Move a VM from one host to another (this machine or saved hosts), as nova vm migrate does: refusals before anything moves, the send's progress as vm.moveProgress events, the source's copy removed once it runs at the destination",
    params: z.strictObject({
      name: VmNameSchema,
      from: HostParamSchema,
      to: HostParamSchema,
      kind: VmMoveKindSchema.default('live'),
      /** The destination's address as the source reaches it; by default the host of its ssh:// address. */
      listen: MigrationHostSchema.optional(),
      postcopy: z.boolean().default(false),
    }),
    result: VmMoveReportSchema,
    served: manage,
    timeoutMs: MOVE_TIMEOUT_MS,
  }),
  'vm.moveCancel': defineMethod({
    summary: 'Cancel the move of a VM under way from a host: the VM goes on running there and the destination keeps nothing of it',
    params: z.strictObject({ name: VmNameSchema, from: HostParamSchema }),
    result: z.strictObject({ cancelled: z.boolean() }),
    served: manage,
  }),
} as const;

export const vmMoveEvents = {
  'vm.moveProgress': VmMoveProgressSchema,
} as const;

/**
 * Where a destination's QEMU listens by default: the host its ssh:// address names, the
 * address the caller already reaches it by. This machine has no such address (null).
 */
export function defaultListenAddress(address: HostAddress): string | null {
  if (address.kind !== 'ssh') return null;
  const parsed = MigrationHostSchema.safeParse(address.host);
  return parsed.success ? parsed.data : null;
}
