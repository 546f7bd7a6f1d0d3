// Moving a capsule to another host from the app, as `nova capsule migrate --restart` does
// (src-main/core/hosts/guest-cold-move.ts): main holds a connection to each helper and
// pushes the send's progress as `capsule.moveProgress` events. A capsule always moves cold;
// a running one is stopped here and started there.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { CapsuleNameSchema } from '../capsule.js';
import { MigrationHostSchema } from './vm-migration-api.js';
import { ColdMoveReportSchema, HostParamSchema, MOVE_TIMEOUT_MS, moveProgressSchema } from './vm-move-api.js';
import { defineMethod } from './define.js';

const manage = { by: 'main', action: POLKIT_ACTIONS.capsuleManage } as const;

export const CapsuleMoveReportSchema = ColdMoveReportSchema.extend({
  /** It was running, so it was stopped here and started at the destination. */
  restarted: z.boolean(),
});
export type CapsuleMoveReport = z.infer<typeof CapsuleMoveReportSchema>;

export const CapsuleMoveProgressSchema = moveProgressSchema(CapsuleNameSchema);
export type CapsuleMoveProgress = z.infer<typeof CapsuleMoveProgressSchema>;

export const capsuleMoveMethods = {
  'capsule.move': defineMethod({
    summary:
      "Move a capsule from one host to another (this machine or saved hosts), as nova capsule migrate --restart does: a running one is stopped here and started there; the send's progress as capsule.moveProgress events",
    params: z.strictObject({
      name: CapsuleNameSchema,
      from: HostParamSchema,
      to: HostParamSchema,
      /** The destination's address as the source reaches it; by default the host of its ssh:// address. */
      listen: MigrationHostSchema.optional(),
    }),
    result: CapsuleMoveReportSchema,
    served: manage,
    timeoutMs: MOVE_TIMEOUT_MS,
  }),
  'capsule.moveCancel': defineMethod({
    summary: 'Cancel the move of a capsule under way from a host: it stays there as it was (started again if it was running) and the destination keeps nothing of it',
    params: z.strictObject({ name: CapsuleNameSchema, from: HostParamSchema }),
    result: z.strictObject({ cancelled: z.boolean() }),
    served: manage,
  }),
} as const;

export const capsuleMoveEvents = {
  'capsule.moveProgress': CapsuleMoveProgressSchema,
} as const;
