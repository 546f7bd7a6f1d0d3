// A project's plan as every surface shows it (`nova plan`, and later `nova up` and the
// Projects page): each change to a resource with its class and the fields that differ,
// resources the file names but another owner holds, and what this host cannot run.
import { z } from 'zod';

export const ProjectResourceKindSchema = z.enum(['network', 'vm', 'capsule']);
export type ProjectResourceKind = z.infer<typeof ProjectResourceKindSchema>;

/**
 * From the least to the most disruptive: a change's class is its most disruptive field's.
 * `update`: applied to the running resource (or a stopped one, then started);
 * `restart`: the guest is stopped, changed and started again; `replace`: deleted and created;
 * `move`: a guest the file places on another host than the one that has it.
 */
export const ChangeClassSchema = z.enum(['create', 'update', 'restart', 'replace', 'move', 'delete']);
export type ChangeClass = z.infer<typeof ChangeClassSchema>;

export const CHANGE_CLASS_LABELS: Record<ChangeClass, string> = {
  create: 'create',
  update: 'update in place',
  restart: 'update with restart',
  replace: 'replace',
  move: 'move to another host',
  delete: 'delete',
};

export const FieldChangeSchema = z.strictObject({
  field: z.string(),
  /** As a person reads it ("512 MiB", "stopped"); null: not set. */
  old: z.string().nullable(),
  new: z.string().nullable(),
  class: z.enum(['update', 'restart', 'replace']),
  /** Set when the change was made outside the file (a guest stopped by hand, a forward removed). */
  drift: z.boolean(),
});
export type FieldChange = z.infer<typeof FieldChangeSchema>;

export const ResourceChangeSchema = z.strictObject({
  kind: ProjectResourceKindSchema,
  name: z.string(),
  class: ChangeClassSchema,
  fields: z.array(FieldChangeSchema),
  /** The host it is applied on; set only when the project spans more than one host. */
  host: z.string().optional(),
  /** A move's source host. */
  from: z.string().optional(),
});
export type ResourceChange = z.infer<typeof ResourceChangeSchema>;

export const ClashSchema = z.strictObject({
  kind: ProjectResourceKindSchema,
  name: z.string(),
  /** The project that holds it, or null for an unmanaged resource. */
  owner: z.string().nullable(),
  message: z.string(),
  /** Set only when the project spans more than one host. */
  host: z.string().optional(),
});
export type Clash = z.infer<typeof ClashSchema>;

export const BlockedSchema = z.strictObject({
  kind: ProjectResourceKindSchema,
  name: z.string(),
  /** The NovaFile key that asks for it, e.g. "vm.win11.gpu_passthrough". */
  key: z.string(),
  reason: z.string(),
  remedy: z.string(),
});
export type Blocked = z.infer<typeof BlockedSchema>;

export const ProjectPlanSchema = z.strictObject({
  project: z.string(),
  file: z.string(),
  changes: z.array(ResourceChangeSchema),
  clashes: z.array(ClashSchema),
  blocked: z.array(BlockedSchema),
  /** Resources of the project that match the file. */
  unchanged: z.array(z.strictObject({ kind: ProjectResourceKindSchema, name: z.string(), host: z.string().optional() })),
  /** Every host the project's state was read from, when more than one ("local" is this machine). */
  hosts: z.array(z.string()).optional(),
  /** Library image names the file used (`image = "debian-12"`) and the files they stand for. */
  libraryImages: z.array(z.strictObject({ vm: z.string(), key: z.string(), name: z.string(), path: z.string() })).optional(),
});
export type ProjectPlan = z.infer<typeof ProjectPlanSchema>;

/** Whether applying would change anything (clashes and blocked items count: they need the user). */
export function planHasChanges(plan: ProjectPlan): boolean {
  return plan.changes.length > 0 || plan.clashes.length > 0 || plan.blocked.length > 0;
}
