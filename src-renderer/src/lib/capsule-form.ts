// The create dialog's form model: text fields as the user types them, turned into a
// CapsuleSpec and checked with the contract's own schema on every keystroke, each
// problem placed beside its field. The command is split like a shell would (quotes and
// backslashes, nothing expanded), env and volumes take one entry per line.
import { CapsuleSpecSchema, parseRestartPolicy, parseVolume, type CapsuleSpecIn } from '../../../src-shared/capsule.js';

export interface CapsuleForm {
  readonly name: string;
  readonly image: string;
  readonly command: string;
  /** `KEY=value` per line. */
  readonly env: string;
  /** `host:guest[:ro]` per line. */
  readonly volumes: string;
  readonly cpus: string;
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
    const eq = line.indexOf('=');
    if (eq <= 0) {
      errors.env ??= `line ${n}: write KEY=value`;
      continue;
    }
    const key = line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) errors.env ??= `line ${n}: ${key} is not an environment variable name (letters, digits, _)`;
    env[key] = line.slice(eq + 1);
  }
  spec.env = env;

  const volumes = [];
  for (const { line, n } of lines(form.volumes)) {
    const v = parseVolume(line);
    if (!v) errors.volumes ??= `line ${n}: write /host/path:/path/inside, with :ro for read-only`;
    else if (!v.source.startsWith('/')) errors.volumes ??= `line ${n}: the host path must be absolute`;
    else volumes.push(v);
  }
  spec.volumes = volumes;

  const number = (field: 'cpus' | 'memoryMiB' | 'pids', text: string, integer: boolean): number | undefined => {
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
  const memoryMiB = number('memoryMiB', form.memoryMiB, true);
  if (memoryMiB !== undefined) spec.memoryBytes = memoryMiB * 1024 * 1024;
  const pids = number('pids', form.pids, true);
  if (pids !== undefined) spec.pids = pids;

  const restart = parseRestartPolicy(form.restart.trim());
  if (!restart) errors.restart = 'no, always, on-failure or on-failure:N';
  else spec.restart = restart;

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

const FIELD_OF_KEY: Record<string, CapsuleFormField> = {
  name: 'name',
  image: 'image',
  command: 'command',
  env: 'env',
  volumes: 'volumes',
  cpus: 'cpus',
  memoryBytes: 'memoryMiB',
  pids: 'pids',
  restart: 'restart',
};
