// The state dir's records: one human-readable JSON file each, carrying its format's
// version, written atomically, migrated forward on read (never back), and validated
// against its schema. VMs, capsules, networks and operations all keep theirs this way.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { writeJsonAtomic } from './atomic-write.js';

/** Takes a record of version N to N+1. */
export type Migration = (old: Record<string, unknown>) => Record<string, unknown>;

export interface RecordFormat<T> {
  /** What the record is, for messages: "VM definition", "operation". */
  what: string;
  version: number;
  schema: z.ZodType<T>;
  /** Keyed by the version each one upgrades from. */
  migrations?: Readonly<Record<number, Migration>>;
}

export class RecordDamagedError extends NovaError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super('internal', `${file} is damaged: ${problem}`, { file, damaged: true });
  }
}

/** A record as stored: migrated to the current version and validated, or RecordDamagedError. */
export function decodeRecord<T>(format: RecordFormat<T>, raw: unknown, file: string): { value: T; migrated: boolean } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RecordDamagedError(file, `not a ${format.what}`);
  let record = raw as Record<string, unknown>;
  let version = typeof record.version === 'number' ? record.version : 0;
  if (version > format.version) {
    throw new NovaError(
      'failed_precondition',
      `${file} was written by a newer Nova (${format.what} version ${version}, this one reads up to ${format.version}); upgrade Nova to read it`,
      { file },
    );
  }
  const migrated = version < format.version;
  while (version < format.version) {
    const step = format.migrations?.[version];
    if (!step) throw new RecordDamagedError(file, `no migration of a ${format.what} from version ${version}`);
    record = { ...step(record), version: version + 1 };
    version += 1;
  }
  const parsed = format.schema.safeParse(carriesVersion(format) ? record : withoutVersion(record));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw new RecordDamagedError(file, `${issue?.message ?? 'invalid'}${at}`);
  }
  return { value: parsed.data, migrated };
}

/** Whether the record's own type has the version field (VM definitions do; operations do not). */
function carriesVersion(format: RecordFormat<unknown>): boolean {
  return format.schema instanceof z.ZodObject && 'version' in format.schema.shape;
}

function withoutVersion(record: Record<string, unknown>): Record<string, unknown> {
  const { version: _version, ...rest } = record;
  return rest;
}

export function encodeRecord<T>(format: RecordFormat<T>, value: T): Record<string, unknown> {
  const checked = format.schema.parse(value) as Record<string, unknown>;
  return { version: format.version, ...checked };
}

/** Null when the file does not exist; a migrated record is written back in its new version. */
export async function readRecord<T>(format: RecordFormat<T>, file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NovaError('internal', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RecordDamagedError(file, text.trim() === '' ? 'it is empty' : `not valid JSON (${(err as Error).message})`);
  }
  const { value, migrated } = decodeRecord(format, raw, file);
  if (migrated) await writeRecord(format, file, value);
  return value;
}

export async function writeRecord<T>(format: RecordFormat<T>, file: string, value: T, mode = 0o600): Promise<void> {
  await writeJsonAtomic(file, encodeRecord(format, value), mode);
}

/** Names the store accepts: never a path, never hidden, never "..". */
const RECORD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export interface DamagedRecord {
  name: string;
  file: string;
  problem: string;
}

/** A folder of records named NAME.json (or another suffix). */
export class RecordStore<T> {
  constructor(
    readonly format: RecordFormat<T>,
    readonly dir: string,
    private readonly suffix = '.json',
  ) {}

  fileOf(name: string): string {
    if (!RECORD_NAME.test(name) || name.includes('..')) {
      throw new NovaError('invalid_argument', `${JSON.stringify(name)} is not a valid ${this.format.what} name`);
    }
    return join(this.dir, `${name}${this.suffix}`);
  }

  async load(name: string): Promise<T | null> {
    return readRecord(this.format, this.fileOf(name));
  }

  async save(name: string, value: T): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeRecord(this.format, this.fileOf(name), value);
  }

  async remove(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }

  async names(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    return files
      .filter((f) => f.endsWith(this.suffix) && !f.startsWith('.'))
      .map((f) => f.slice(0, -this.suffix.length))
      .filter((n) => RECORD_NAME.test(n) && !n.includes('..'))
      .sort();
  }

  /** Every readable record, and the damaged ones named apart so one bad file hides nothing else. */
  async loadAll(): Promise<{ records: Map<string, T>; damaged: DamagedRecord[] }> {
    const records = new Map<string, T>();
    const damaged: DamagedRecord[] = [];
    for (const name of await this.names()) {
      try {
        const value = await this.load(name);
        if (value !== null) records.set(name, value);
      } catch (err) {
        const file = this.fileOf(name);
        damaged.push({ name, file, problem: err instanceof RecordDamagedError ? err.problem : (err as Error).message });
      }
    }
    return { records, damaged };
  }
}
