// A start's intent, written (fsynced) before anything of the start exists on the host and
// removed once the VM or capsule is fully running. A helper killed in between leaves it
// behind, and the next helper knows that whatever it finds of that resource (a QEMU, a
// container, a tap, a veth) was still starting: it is killed and cleaned up, never adopted,
// even when no runtime record was written yet. Kept in the state dir, beside the records.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RecordDamagedError, readRecord, writeRecord, type RecordFormat } from './record-store.js';

const StartIntentSchema = z
  .object({
    kind: z.enum(['vm', 'capsule']),
    name: z.string(),
    /** When the start began, and which helper began it (for the log of whoever finds it). */
    at: z.string(),
    helperPid: z.number().int(),
  })
  .strict();
export type StartIntent = z.infer<typeof StartIntentSchema>;

export const START_INTENT_RECORD: RecordFormat<StartIntent> = { what: 'start intent', version: 1, schema: StartIntentSchema };

export class StartIntents {
  constructor(private readonly dir: string) {}

  async begin(kind: StartIntent['kind'], name: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeRecord(START_INTENT_RECORD, this.file(kind, name), { kind, name, at: new Date().toISOString(), helperPid: process.pid });
  }

  async end(kind: StartIntent['kind'], name: string): Promise<void> {
    await rm(this.file(kind, name), { force: true });
  }

  /** The intent a killed helper left, if any; a damaged one still says a start was under way. */
  async pending(kind: StartIntent['kind'], name: string): Promise<StartIntent | null> {
    try {
      return await readRecord(START_INTENT_RECORD, this.file(kind, name));
    } catch (err) {
      if (!(err instanceof RecordDamagedError)) throw err;
      return { kind, name, at: 'unknown (damaged intent record)', helperPid: 0 };
    }
  }

  private file(kind: StartIntent['kind'], name: string): string {
    return join(this.dir, `${kind}-${name}.json`);
  }
}
