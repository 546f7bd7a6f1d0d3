// Diagnostics from reading a NovaFile, shaped for editors, the CLI and the UI alike.
import { z } from 'zod';

/** The longest NovaFile text any surface takes (UTF-16 code units, as zod counts them). */
export const NOVAFILE_TEXT_MAX_CHARS = 1024 * 1024;

export const NovaFileDiagnosticSchema = z.strictObject({
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  /** Dotted key path, e.g. "vm.win11.memory"; absent for syntax errors. */
  key: z.string().optional(),
  message: z.string(),
});
export type NovaFileDiagnostic = z.infer<typeof NovaFileDiagnosticSchema>;

export const NovaFileSummarySchema = z.strictObject({
  project: z.string().nullable(),
  vms: z.array(z.string()),
  capsules: z.array(z.string()),
  networks: z.array(z.string()),
});
export type NovaFileSummary = z.infer<typeof NovaFileSummarySchema>;

export const NovaFileValidationSchema = z.strictObject({
  valid: z.boolean(),
  diagnostics: z.array(NovaFileDiagnosticSchema),
  summary: NovaFileSummarySchema.nullable(),
});
export type NovaFileValidation = z.infer<typeof NovaFileValidationSchema>;
