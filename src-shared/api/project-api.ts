// The Projects page's methods: main serves them (it runs as the user, so it reads and
// writes only NovaFiles the user can), planning and applying through the same engine as
// `nova plan`, `nova up`, `nova down` and `nova ps`; the helper calls they make are
// authorized as the CLI's are. Progress of an apply or a down is pushed as events.
import { z } from 'zod';
import { ErrorShapeSchema } from '../errors.js';
import { NOVAFILE_TEXT_MAX_CHARS, NovaFileValidationSchema } from '../novafile.js';
import { ChangeClassSchema, ProjectPlanSchema, ProjectResourceKindSchema } from '../project.js';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;

/** A NovaFile on the host, or a folder holding NovaFile.toml: absolute, as main has no "current folder" the user chose. */
export const ProjectPathSchema = z
  .string()
  .min(2)
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.includes('\0'), 'an absolute path on the host, e.g. /home/me/lab/NovaFile.toml');

/** An apply or a down runs for minutes when guests wait to be healthy; progress comes as events meanwhile. */
const LONG_RUN_TIMEOUT_MS = 60 * 60 * 1000;

export const ProjectResourceRowSchema = z.strictObject({
  kind: ProjectResourceKindSchema,
  name: z.string(),
  /** The helper's state, or "absent" for a declared resource the helper does not have. */
  state: z.string(),
  health: z.string().nullable(),
  address: z.string().nullable(),
  /** False: the project owns it but the file no longer declares it. */
  declared: z.boolean(),
  /** The host that has it (or should); set only when the project spans more than one host. */
  host: z.string().optional(),
});
export type ProjectResourceRow = z.infer<typeof ProjectResourceRowSchema>;

const RefSchema = z.strictObject({ kind: ProjectResourceKindSchema, name: z.string(), host: z.string().optional() });

export const ApplyOutcomeSchema = z.strictObject({
  applied: z.array(RefSchema.extend({ class: ChangeClassSchema })),
  failed: z.array(RefSchema.extend({ message: z.string() })),
  notApplied: z.array(RefSchema.extend({ reason: z.string() })),
  cancelled: z.boolean(),
});
export type ProjectApplyOutcome = z.infer<typeof ApplyOutcomeSchema>;

export const DownOutcomeSchema = z.strictObject({
  removed: z.array(RefSchema),
  stopped: z.array(RefSchema),
  kept: z.array(RefSchema.extend({ reason: z.string() })),
  failed: z.array(RefSchema.extend({ message: z.string() })),
  cancelled: z.boolean(),
});
export type ProjectDownOutcome = z.infer<typeof DownOutcomeSchema>;

export const ProjectOpenedSchema = z.strictObject({
  /** The NovaFile itself (a folder given is resolved to its NovaFile.toml). */
  file: z.string(),
  text: z.string(),
  validation: NovaFileValidationSchema,
  /** Null when the file does not validate or the plan could not be made (then planError says why). */
  plan: ProjectPlanSchema.nullable(),
  planError: ErrorShapeSchema.nullable(),
});
export type ProjectOpened = z.infer<typeof ProjectOpenedSchema>;

const pathParams = z.strictObject({ path: ProjectPathSchema });

export const ProjectWriteBackSchema = z.strictObject({
  file: z.string(),
  /** Each plan field written, with its NovaFile key and the TOML value now in the file (null: key removed). */
  written: z.array(z.strictObject({ field: z.string(), key: z.string(), value: z.string().nullable() })),
  /** Fields that differ but have no plain key to hold them, with why. */
  skipped: z.array(z.strictObject({ field: z.string(), reason: z.string() })),
});
export type ProjectWriteBack = z.infer<typeof ProjectWriteBackSchema>;

export const projectMethods = {
  'project.open': defineMethod({
    summary: "Read a NovaFile (or a folder's NovaFile.toml) with its validation and its plan",
    params: pathParams,
    result: ProjectOpenedSchema,
    served: main,
  }),
  'project.plan': defineMethod({
    summary: 'What nova up would change for this NovaFile (as nova plan --json prints it)',
    params: pathParams,
    result: ProjectPlanSchema,
    served: main,
  }),
  'project.ps': defineMethod({
    summary: "The project's resources with state, health and address (as nova ps --json)",
    params: pathParams,
    result: z.strictObject({ project: z.string(), resources: z.array(ProjectResourceRowSchema) }),
    served: main,
  }),
  'project.up': defineMethod({
    summary: 'Apply the NovaFile as nova up --yes does; one apply or down at a time per project, progress as project.progress events',
    params: pathParams,
    result: z.strictObject({ plan: ProjectPlanSchema, outcome: ApplyOutcomeSchema.nullable() }),
    served: main,
    timeoutMs: LONG_RUN_TIMEOUT_MS,
  }),
  'project.down': defineMethod({
    summary: "Stop the project's guests and delete its networks (guests deleted with their data only with volumes)",
    params: z.strictObject({ path: ProjectPathSchema, volumes: z.boolean().default(false) }),
    result: DownOutcomeSchema,
    served: main,
    timeoutMs: LONG_RUN_TIMEOUT_MS,
  }),
  'project.cancel': defineMethod({
    summary: "Cancel this project's apply or down in flight (the helper operation under way removes what it half-made)",
    params: pathParams,
    result: z.strictObject({ cancelled: z.boolean() }),
    served: main,
  }),
  'project.demo': defineMethod({
    summary: "Where Nova's demo project (examples/hello) is on this host, for the first run's offer; null when it is not installed",
    params: z.strictObject({}),
    result: z.strictObject({ file: z.string().nullable() }),
    served: main,
  }),
  'project.save': defineMethod({
    summary: 'Write the NovaFile, only if the text validates (atomic, keeping the file mode); with create, a new file and never over one',
    params: z.strictObject({ path: ProjectPathSchema, text: z.string().max(NOVAFILE_TEXT_MAX_CHARS), create: z.boolean().default(false) }),
    result: z.strictObject({ saved: z.boolean(), file: z.string(), validation: NovaFileValidationSchema }),
    served: main,
  }),
  'project.writeBack': defineMethod({
    summary: "Write a project resource's current settings into its NovaFile table (only the keys that differ; the rest of the file kept byte for byte), refused unless the result plans no change for it",
    params: z.strictObject({ path: ProjectPathSchema, kind: ProjectResourceKindSchema, name: z.string().min(1).max(255) }),
    result: ProjectWriteBackSchema,
    served: main,
  }),
  'project.export': defineMethod({
    summary: 'Existing VMs, capsules and networks (by name, or every one of a project) as a NovaFile, as nova export prints it, with those of no project named',
    params: z.strictObject({
      names: z.array(z.string().min(1).max(255)).max(256).default([]),
      project: z.string().min(1).max(255).optional(),
    }),
    result: z.strictObject({ project: z.string(), text: z.string(), unmanaged: z.array(RefSchema) }),
    served: main,
  }),
} as const;

export const projectEvents = {
  /** A line about one resource of an apply or a down in flight ("capsule db", "created"). */
  'project.progress': z.strictObject({
    file: z.string(),
    action: z.enum(['up', 'down']),
    subject: z.string(),
    line: z.string(),
  }),
  /** An apply or a down started or ended: a signal to refetch the project's plan and resources. */
  'project.changed': z.strictObject({ file: z.string(), running: z.enum(['up', 'down']).nullable() }),
} as const;
