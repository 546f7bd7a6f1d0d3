// Operations: every action that can take more than about a second (pulls, imports,
// clones, snapshots, boots, creates) is one, with progress, a cancel and an owner, so
// the CLI, the activity panel and a resource's own page all show the same thing.
import { z } from 'zod';
import { ErrorShapeSchema } from './errors.js';

export const OperationKindSchema = z.enum([
  'vm.create',
  'vm.start',
  'vm.clone',
  'vm.suspend',
  'vm.snapshotCreate',
  'vm.snapshotRestore',
  'vm.snapshotDelete',
  'vm.migrateIncoming',
  'vm.migrateSend',
  'vm.moveSend',
  'image.import',
  'ociImage.pull',
  'ociImage.import',
  'capsule.create',
  'capsule.snapshotCreate',
  'capsule.snapshotRestore',
  'capsule.snapshotDelete',
  'capsule.moveSend',
  'network.create',
  'network.update',
  'project.apply',
  'device.bind',
  'device.restore',
]);
export type OperationKind = z.infer<typeof OperationKindSchema>;

export const ResourceKindSchema = z.enum(['vm', 'capsule', 'network', 'image', 'ociImage', 'project', 'device']);
export type ResourceKind = z.infer<typeof ResourceKindSchema>;

/** What an operation (or a lock) is about: a resource by kind and name. */
export const ResourceRefSchema = z.strictObject({
  kind: ResourceKindSchema,
  name: z.string().min(1).max(255),
});
export type ResourceRef = z.infer<typeof ResourceRefSchema>;

export const OperationStateSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export type OperationState = z.infer<typeof OperationStateSchema>;

export const OperationProgressSchema = z.strictObject({
  /** What happens now, in words: "copying disk0", "pulling layers". */
  phase: z.string().max(200),
  /** 0..1 when the engine can tell; null for steps of unknown length. */
  fraction: z.number().min(0).max(1).nullable(),
  bytesDone: z.number().int().min(0).nullable(),
  bytesTotal: z.number().int().min(0).nullable(),
});
export type OperationProgress = z.infer<typeof OperationProgressSchema>;

export const OperationOwnerSchema = z.strictObject({ uid: z.number().int(), pid: z.number().int() });
export type OperationOwner = z.infer<typeof OperationOwnerSchema>;

export const OperationIdSchema = z.string().regex(/^[a-f0-9]{8,32}$/, 'an operation id is 8 to 32 hexadecimal digits');

export const OperationSchema = z.strictObject({
  id: OperationIdSchema,
  kind: OperationKindSchema,
  resource: ResourceRefSchema,
  /** A short human label: "snapshot 'pre-upgrade'", "pull docker.io/library/alpine". */
  title: z.string().max(300),
  state: OperationStateSchema,
  progress: OperationProgressSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: ErrorShapeSchema.nullable(),
  /** Who asked; null for Nova's own work (restart policies, recovery). */
  owner: OperationOwnerSchema.nullable(),
  /** Whether the step under way stops at once on cancel (false: at the next step boundary). */
  cancellable: z.boolean(),
  cancelRequested: z.boolean(),
});
export type Operation = z.infer<typeof OperationSchema>;

const RESOURCE_LABELS: Record<ResourceKind, string> = {
  vm: 'VM',
  capsule: 'Capsule',
  network: 'Network',
  image: 'Image',
  ociImage: 'Image',
  project: 'Project',
  device: 'Device',
};

/** "VM web1", "Network lab": how messages name a resource. */
export function describeResource(ref: ResourceRef): string {
  return `${RESOURCE_LABELS[ref.kind]} ${ref.name}`;
}

export function isOperationFinished(op: Operation): boolean {
  return op.state !== 'running';
}
