// Callers' names and specs checked before anything is looked up, each refusal an
// invalid_argument that names the field and says what is wrong with it.
import type { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { SnapshotNameSchema, VmNameSchema } from '../../../src-shared/vm.js';

export function checkVmName(name: string): void {
  const r = VmNameSchema.safeParse(name);
  if (!r.success) throw new NovaError('invalid_argument', `VM name ${JSON.stringify(name)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
}

export function checkSnapshotName(name: string): void {
  const r = SnapshotNameSchema.safeParse(name);
  if (!r.success) throw new NovaError('invalid_argument', `snapshot name ${JSON.stringify(name)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
}

/** A spec through its schema; the first problem becomes an invalid_argument naming the field. */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new NovaError('invalid_argument', `${issue?.path.join('.') || 'spec'}: ${issue?.message ?? 'invalid'}`);
}
