// A resource whose record cannot be read is quarantined, not dropped: it is listed as
// broken with the file and the fault, every verb but delete answers why and how to remove
// it, and its name stays taken until it is removed (creating over it would lose it).
import { NovaError } from '../../../src-shared/errors.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { RecordDamagedError } from './record-store.js';

export type BrokenKind = 'VM' | 'capsule' | 'network';

const REMOVE_COMMAND: Record<BrokenKind, string> = { VM: 'nova vm rm', capsule: 'nova capsule rm', network: 'nova net rm' };

export function brokenRecord(name: string, file: string, problem: string): BrokenRecord {
  return { name, state: 'broken', stateReason: `${file} cannot be read: ${problem}`, file };
}

/** The record a read error makes of a resource, or null when the error is not about its file. */
export function brokenFromError(name: string, file: string, err: unknown): BrokenRecord | null {
  if (err instanceof RecordDamagedError) return brokenRecord(name, err.file, err.problem);
  if (err instanceof BrokenResourceError) return err.broken;
  // A record from a newer Nova is readable by that Nova: shown broken here, never rewritten.
  if (err instanceof NovaError && err.code === 'failed_precondition' && (err.details as { file?: unknown } | undefined)?.file === file) {
    return { name, state: 'broken', stateReason: err.message, file };
  }
  return null;
}

export class BrokenResourceError extends NovaError {
  constructor(
    kind: BrokenKind,
    readonly broken: BrokenRecord,
  ) {
    super(
      'failed_precondition',
      `${kind} ${broken.name} is broken: ${broken.stateReason}. Remove it with \`${REMOVE_COMMAND[kind]} ${broken.name}\` (its record and what Nova made for it), then create it again`,
      { broken },
    );
  }
}
