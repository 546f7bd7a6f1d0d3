// The create dialog's form model: text fields as the user types them, each parsed by the
// contract's own field schema (the vocabulary's syntaxes: volumes, sizes, restart
// policies) and the whole checked by CapsuleSpecSchema on every keystroke, each problem
// placed beside its field. The command is split like a shell would (quotes and
// backslashes, nothing expanded), env and volumes take one entry per line.
import type { z } from 'zod';
import {
  CapsuleMemorySchema,
  CapsuleSpecSchema,
  RestartPolicySchema,
  VolumeSchema,
  type CapsuleSpecIn,
  type Volume,
} from '../../../src-shared/capsule.js';
import { MEBIBYTE, parseEnvEntry } from '../../../src-shared/vocabulary/index.js';

export interface CapsuleForm {
  readonly name: string;
  readonly image: string;
  readonly command: string;
  /** `KEY=value` per line. */
  readonly env: string;
  /** `host:guest[:ro]` per line. */
  readonly volumes: string;
  readonly cpus: string;
  /** A size: a bare number is MiB, "512Mi", "2Gi" and "2g" work too. */
  readonly memoryMiB: string;
  readonly pids: string;
  /** `no`, `always`, `on-failure` or `on-failure:N`. */
  readonly restart: string;
}

export type CapsuleFormField = keyof CapsuleForm;
export type CapsuleFormErrors = Partial<Record<CapsuleFormField, string>>;

export const EMPTY_CAPSULE_FORM: CapsuleForm = { name: '', image: '', command: '', env: '', volumes: '', cpus: '', memoryMiB: '', pids: '', restart: 'no' };

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

/** Checks the whole form; `taken` are the names already in use. */
export function capsuleSpecFromForm(form: CapsuleForm, taken: ReadonlySet<string> = new Set()): CapsuleFormResult {
  const errors: CapsuleFormErrors = {};
  const spec: Record<string, unknown> = { name: form.name.trim(), image: form.image.trim() };
  if (taken.has(form.name.trim())) errors.name = `a capsule called ${form.name.trim()} exists already: choose another name`;
  if (!form.image.trim()) errors.image = 'choose an image (import or pull one first if the list is empty)';

  if (form.command.trim()) {
    const words = splitCommand(form.command);
    if (!words) errors.command = 'a quote is not closed';
    else spec.command = words;
  }

  const env: Record<string, string> = {};
  for (const { line, n } of lines(form.env)) {
    const entry = parseEnvEntry(line);
    if (!entry.ok) errors.env ??= `line ${n}: ${entry.message}`;
    else env[entry.value[0]] = entry.value[1];
  }
  spec.env = env;

  const volumes: Volume[] = [];
  for (const { line, n } of lines(form.volumes)) {
    const v = VolumeSchema.safeParse(line);
    if (!v.success) errors.volumes ??= `line ${n}: ${firstMessage(v.error)}`;
    else volumes.push(v.data);
  }
  spec.volumes = volumes;

  const number = (field: 'cpus' | 'pids', text: string, integer: boolean): number | undefined => {
    const t = text.trim();
    if (!t) return undefined;
    const n = Number(t);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      errors[field] = integer ? 'a whole number above 0' : 'a number above 0, such as 0.5';
      return undefined;
    }
    return n;
  };
  const cpus = number('cpus', form.cpus, false);
  if (cpus !== undefined) spec.cpus = cpus;
  if (form.memoryMiB.trim()) {
    const memory = CapsuleMemorySchema.safeParse(form.memoryMiB.trim());
    if (!memory.success) errors.memoryMiB = firstMessage(memory.error);
    else spec.memoryBytes = memory.data * MEBIBYTE;
  }
  const pids = number('pids', form.pids, true);
  if (pids !== undefined) spec.pids = pids;

  const restart = RestartPolicySchema.safeParse(form.restart.trim());
  if (!restart.success) errors.restart = firstMessage(restart.error);
  else spec.restart = restart.data;

  // The contract has the last word: whatever it refuses lands beside the field it concerns.
  const checked = CapsuleSpecSchema.safeParse(spec);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = FIELD_OF_KEY[String(issue.path[0])];
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  return Object.keys(errors).length === 0 ? { spec: spec as CapsuleSpecIn, errors } : { spec: null, errors };
}

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'not valid';
}

const FIELD_OF_KEY: Record<string, CapsuleFormField> = {
  name: 'name',
  image: 'image',
  command: 'command',
  env: 'env',
  volumes: 'volumes',
  cpus: 'cpus',
  memory: 'memoryMiB',
  memoryBytes: 'memoryMiB',
  pids: 'pids',
  restart: 'restart',
};
