// The capsule forms' model (the create dialog, and the Settings tab's editor of a stopped
// capsule): text fields as the user types them, each parsed by the contract's own field
// schema (the vocabulary's syntaxes: volumes, ports, sizes, restart policies) and the whole
// checked by CapsuleSpecSchema (or CapsuleUpdateSpecSchema) on every keystroke, each problem
// placed beside its field. Entrypoint and command are split like a shell would (quotes and
// backslashes, nothing expanded); env, volumes and ports take one entry per line.
import type { z } from 'zod';
import {
  CapsuleMemorySchema,
  CapsuleSpecSchema,
  CapsuleUpdateSpecSchema,
  formatRestartPolicy,
  PublishedPortSchema,
  RestartPolicySchema,
  VolumeSchema,
  type CapsuleSpec,
  type CapsuleSpecIn,
  type CapsuleUpdateSpecIn,
} from '../../../src-shared/capsule.js';
import { formatPortMapping } from '../../../src-shared/vocabulary/port-mapping.js';
import { formatSize, MEBIBYTE, parseEnvEntry } from '../../../src-shared/vocabulary/index.js';

export interface CapsuleForm {
  readonly name: string;
  readonly image: string;
  /** Words as in a shell; empty: the image's. */
  readonly entrypoint: string;
  readonly command: string;
  /** `KEY=value` per line. */
  readonly env: string;
  /** `host:guest[:ro]` per line. */
  readonly volumes: string;
  readonly cpus: string;
  /** A size: a bare number is MiB, "512Mi", "2Gi" and "2g" work too. */
  readonly memoryMiB: string;
  readonly pids: string;
  /** Relative block IO weight, 10-1000. */
  readonly ioWeight: string;
  /** `no`, `always`, `on-failure` or `on-failure:N`. */
  readonly restart: string;
  /** Seconds between SIGTERM and SIGKILL on stop. */
  readonly stopTimeoutSec: string;
  readonly hostname: string;
  /** Numeric `uid[:gid]`. */
  readonly user: string;
  readonly workdir: string;
  /** A Nova network's name; empty: loopback only. */
  readonly network: string;
  /** Static `address[/prefix]` on the network; empty: Nova picks a free one. */
  readonly address: string;
  /** `host:guest[/udp]` per line. */
  readonly ports: string;
}

export type CapsuleFormField = keyof CapsuleForm;
export type CapsuleFormErrors = Partial<Record<CapsuleFormField, string>>;

export const EMPTY_CAPSULE_FORM: CapsuleForm = {
  name: '',
  image: '',
  entrypoint: '',
  command: '',
  env: '',
  volumes: '',
  cpus: '',
  memoryMiB: '',
  pids: '',
  ioWeight: '',
  restart: 'no',
  stopTimeoutSec: '10',
  hostname: '',
  user: '',
  workdir: '',
  network: '',
  address: '',
  ports: '',
};

/** Words of a command line: 'single' and "double" quotes, backslash escapes; null on an open quote. */
export function splitCommand(text: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return null;
  if (inWord) words.push(word);
  return words;
}

/** Words as a shell would read them back: plain where safe, single-quoted otherwise. */
export function quotedWords(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function lines(text: string): Array<{ line: string; n: number }> {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter((l) => l.line !== '');
}

export interface CapsuleFormResult {
  /** The spec to send, when the form has no error. */
  readonly spec: CapsuleSpecIn | null;
  readonly errors: CapsuleFormErrors;
}

/** Spec keys read from the form; undefined where a field is empty (the image's or no limit). */
type SpecKeys = Record<string, unknown>;

/**
 * Reads the fields `form` has (the create dialog has all, the Settings tab's editor some)
 * into spec keys, each problem put in `errors` beside its field.
 */
function readFields(form: Partial<CapsuleForm>, errors: CapsuleFormErrors): SpecKeys {
  const spec: SpecKeys = {};
  const has = (field: CapsuleFormField): field is CapsuleFormField => form[field] !== undefined;
  const text = (field: CapsuleFormField) => (form[field] ?? '').trim();

  for (const field of ['entrypoint', 'command'] as const) {
    if (!has(field)) continue;
    if (!text(field)) spec[field] = undefined;
    else {
      const words = splitCommand(text(field));
      if (!words) errors[field] = 'a quote is not closed';
      else if (words.length === 0) spec[field] = undefined;
      else spec[field] = words;
    }
  }
  if (has('env')) {
    const env: Record<string, string> = {};
    for (const { line, n } of lines(form.env ?? '')) {
      const entry = parseEnvEntry(line);
      if (!entry.ok) errors.env ??= `line ${n}: ${entry.message}`;
      else env[entry.value[0]] = entry.value[1];
    }
    spec.env = env;
  }
  if (has('volumes')) spec.volumes = listOf(form.volumes ?? '', VolumeSchema, (m) => (errors.volumes ??= m));
  if (has('ports')) spec.ports = listOf(form.ports ?? '', PublishedPortSchema, (m) => (errors.ports ??= m));

  const number = (field: CapsuleFormField, o: { integer: boolean; min: number; max: number; words: string }): number | undefined => {
    const t = text(field);
    if (!t) return undefined;
    const n = Number(t);
    if (!Number.isFinite(n) || n < o.min || n > o.max || (o.integer && !Number.isInteger(n)) || (!o.integer && n <= 0)) {
      errors[field] = o.words;
      return undefined;
    }
    return n;
  };
  if (has('cpus')) spec.cpus = number('cpus', { integer: false, min: 0, max: 1024, words: 'a number above 0, such as 0.5' });
  if (has('pids')) spec.pids = number('pids', { integer: true, min: 1, max: 4194304, words: 'a whole number above 0' });
  if (has('ioWeight')) spec.ioWeight = number('ioWeight', { integer: true, min: 10, max: 1000, words: 'a whole number from 10 to 1000' });
  if (has('stopTimeoutSec')) spec.stopTimeoutSec = number('stopTimeoutSec', { integer: true, min: 0, max: 3600, words: 'whole seconds from 0 to 3600' });
  if (has('memoryMiB')) {
    spec.memoryBytes = undefined;
    if (text('memoryMiB')) {
      const memory = CapsuleMemorySchema.safeParse(text('memoryMiB'));
      if (!memory.success) errors.memoryMiB = firstMessage(memory.error);
      else spec.memoryBytes = memory.data * MEBIBYTE;
    }
  }
  if (has('restart')) {
    const restart = RestartPolicySchema.safeParse(text('restart'));
    if (!restart.success) errors.restart = firstMessage(restart.error);
    else spec.restart = restart.data;
  }
  for (const field of ['hostname', 'user', 'workdir', 'network', 'address'] as const) {
    if (has(field)) spec[field] = text(field) || undefined;
  }
  if (has('network') && !spec.network) {
    if (Array.isArray(spec.ports) && spec.ports.length > 0) errors.ports ??= 'publishing a port needs a network: choose one above';
    if (spec.address) errors.address ??= 'an address needs a network: choose one first';
  }
  return spec;
}

function listOf<T>(text: string, schema: z.ZodType<T, unknown>, fail: (message: string) => void): T[] {
  const out: T[] = [];
  for (const { line, n } of lines(text)) {
    const v = schema.safeParse(line);
    if (!v.success) fail(`line ${n}: ${firstMessage(v.error)}`);
    else out.push(v.data);
  }
  return out;
}

function definedOnly(spec: SpecKeys): SpecKeys {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
}

/** The contract has the last word: whatever it refuses lands beside the field it concerns. */
function placeIssues(issues: readonly z.core.$ZodIssue[], errors: CapsuleFormErrors): void {
  for (const issue of issues) {
    const field = FIELD_OF_KEY[String(issue.path[0])];
    if (field && !errors[field]) errors[field] = issue.message;
  }
}

/** Checks the whole form; `taken` are the names already in use. */
export function capsuleSpecFromForm(form: CapsuleForm, taken: ReadonlySet<string> = new Set()): CapsuleFormResult {
  const errors: CapsuleFormErrors = {};
  const spec: SpecKeys = { name: form.name.trim(), image: form.image.trim(), ...definedOnly(readFields(form, errors)) };
  if (taken.has(form.name.trim())) errors.name = `a capsule called ${form.name.trim()} exists already: choose another name`;
  if (!form.image.trim()) errors.image = 'choose an image (import or pull one first if the list is empty)';
  const checked = CapsuleSpecSchema.safeParse(spec);
  if (!checked.success) placeIssues(checked.error.issues, errors);
  return Object.keys(errors).length === 0 ? { spec: spec as CapsuleSpecIn, errors } : { spec: null, errors };
}

/** The fields a stopped capsule's Settings tab edits: every key capsule.update takes that a form can hold. */
export const EDITABLE_FIELDS = [
  'entrypoint', 'command', 'workdir', 'user', 'hostname', 'env', 'volumes',
  'cpus', 'memoryMiB', 'pids', 'ioWeight', 'restart', 'stopTimeoutSec', 'network', 'address', 'ports',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];
export type CapsuleEditForm = Pick<CapsuleForm, EditableField>;

/** A capsule's spec as the editor shows it, so an untouched form changes nothing. */
export function editFormOf(spec: CapsuleSpec): CapsuleEditForm {
  return {
    entrypoint: spec.entrypoint ? quotedWords(spec.entrypoint) : '',
    command: spec.command ? quotedWords(spec.command) : '',
    workdir: spec.workdir ?? '',
    user: spec.user ?? '',
    hostname: spec.hostname ?? '',
    env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`).join('\n'),
    volumes: spec.volumes.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`).join('\n'),
    cpus: spec.cpus === undefined ? '' : String(spec.cpus),
    memoryMiB: spec.memoryBytes === undefined ? '' : spec.memoryBytes % MEBIBYTE === 0 ? formatSize(spec.memoryBytes / MEBIBYTE) : `${spec.memoryBytes}`,
    pids: spec.pids === undefined ? '' : String(spec.pids),
    ioWeight: spec.ioWeight === undefined ? '' : String(spec.ioWeight),
    restart: formatRestartPolicy(spec.restart),
    stopTimeoutSec: String(spec.stopTimeoutSec),
    network: spec.network ?? '',
    address: spec.address ?? '',
    ports: spec.ports.map(formatPortMapping).join('\n'),
  };
}

export interface CapsuleUpdateResult {
  /** The change to send (only the keys that differ), when the form has no error; null otherwise. */
  readonly update: CapsuleUpdateSpecIn | null;
  readonly errors: CapsuleFormErrors;
  /** Whether anything differs from the capsule's spec. */
  readonly changed: boolean;
}

/** The change the editor asks for: each edited field that differs, an emptied one removed (null). */
export function capsuleUpdateFromForm(name: string, spec: CapsuleSpec, form: CapsuleEditForm): CapsuleUpdateResult {
  const errors: CapsuleFormErrors = {};
  const read = readFields(form, errors);
  const before = editFormOf(spec);
  const update: Record<string, unknown> = { name };
  for (const field of EDITABLE_FIELDS) {
    if (form[field].trim() === before[field].trim()) continue;
    const key = field === 'memoryMiB' ? 'memoryBytes' : field;
    const value = read[key];
    // An emptied optional key goes (null: the image's entrypoint, command, user and
    // workdir again); env, volumes, ports and restart always have a value.
    update[key] = value === undefined ? (field === 'stopTimeoutSec' ? 10 : null) : value;
  }
  const changed = Object.keys(update).length > 1;
  const checked = CapsuleUpdateSpecSchema.safeParse(update);
  if (!checked.success) placeIssues(checked.error.issues, errors);
  return { update: Object.keys(errors).length === 0 ? (update as CapsuleUpdateSpecIn) : null, errors, changed };
}

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'not valid';
}

const FIELD_OF_KEY: Record<string, CapsuleFormField> = {
  name: 'name',
  image: 'image',
  entrypoint: 'entrypoint',
  command: 'command',
  env: 'env',
  volumes: 'volumes',
  cpus: 'cpus',
  memory: 'memoryMiB',
  memoryBytes: 'memoryMiB',
  pids: 'pids',
  ioWeight: 'ioWeight',
  restart: 'restart',
  stopTimeoutSec: 'stopTimeoutSec',
  hostname: 'hostname',
  user: 'user',
  workdir: 'workdir',
  network: 'network',
  address: 'address',
  ports: 'ports',
};
