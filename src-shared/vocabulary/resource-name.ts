// Names of VMs, capsules, networks, snapshots, images and NovaFile projects: one rule per
// kind, checked the same way by every surface. Names become directory names, QEMU and
// runc ids, bridge names and DNS labels, so they never hold "/" and match a strict pattern.
// Each rule is what the helper has always stored, so existing records keep loading.
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { syntaxSchema } from './syntax-schema.js';

export type NameKind = 'vm' | 'capsule' | 'network' | 'project' | 'vm-snapshot' | 'capsule-snapshot' | 'vm-image' | 'oci-image' | 'attachment';

interface NameRule {
  /** How the name is introduced in messages: `vm name "x" ...`. */
  readonly label: string;
  readonly pattern: RegExp;
  readonly max: number;
  /** Characters allowed after the first one, for messages. */
  readonly chars: RegExp;
  readonly help: string;
  /** Appended to the length message: why the limit is what it is. */
  readonly why?: string;
}

const LOWER = 'use lowercase letters, digits, "-" and "_", starting with a letter or digit';
const LOWER_NO_UNDERSCORE = 'use lowercase letters, digits and "-", starting with a letter or digit';
const MIXED = 'use letters, digits, ".", "_" and "-", starting with a letter or digit';

/** VM names are guest host names and DNS labels, so "_" is left out. */
export const VM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Capsule names become container ids, cgroup and directory names. */
export const CAPSULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Network names become bridge names, which the kernel caps at 15 bytes. */
export const NETWORK_NAME_MAX = 15;
/** The characters of a network name; its length is checked apart, with its own message. */
export const NETWORK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/** VM and capsule names alike (one DNS label; "_" becomes "-" in host names). */
export const ATTACHMENT_NAME_PATTERN = CAPSULE_NAME_PATTERN;

const RULES: Record<NameKind, NameRule> = {
  vm: { label: 'vm', pattern: VM_NAME_PATTERN, max: 63, chars: /[a-z0-9-]/, help: LOWER_NO_UNDERSCORE },
  capsule: { label: 'capsule', pattern: CAPSULE_NAME_PATTERN, max: 63, chars: /[a-z0-9_-]/, help: LOWER },
  network: {
    label: 'network',
    pattern: /^[a-z0-9][a-z0-9_-]{0,14}$/,
    max: NETWORK_NAME_MAX,
    chars: /[a-z0-9_-]/,
    help: LOWER,
    why: ` (network names become Linux interface names), as the kernel allows at most ${NETWORK_NAME_MAX} characters`,
  },
  project: { label: 'project', pattern: CAPSULE_NAME_PATTERN, max: 63, chars: /[a-z0-9_-]/, help: LOWER },
  'vm-snapshot': { label: 'snapshot', pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, max: 63, chars: /[A-Za-z0-9._-]/, help: MIXED },
  /** Capsule snapshots are directories and archives beside the capsule's: the capsule rule. */
  'capsule-snapshot': { label: 'snapshot', pattern: CAPSULE_NAME_PATTERN, max: 63, chars: /[a-z0-9_-]/, help: LOWER },
  'vm-image': { label: 'image', pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, max: 128, chars: /[A-Za-z0-9._-]/, help: MIXED },
  /** The local name of an imported or pulled OCI image, `NAME[:TAG]`, as the image store keeps it. */
  'oci-image': {
    label: 'image',
    pattern: /^[a-z0-9][a-z0-9._-]{0,127}(?::\w[\w.-]{0,127})?$/,
    max: 256,
    chars: /[A-Za-z0-9._:-]/,
    help: 'use lowercase letters, digits, ".", "_" and "-", and an optional ":tag"',
  },
  attachment: { label: 'resource', pattern: ATTACHMENT_NAME_PATTERN, max: 63, chars: /[a-z0-9_-]/, help: LOWER },
};

/** Why `name` is not a valid name of this kind (without the "vm name" label), or undefined. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const rule = RULES[kind];
  if (rule.pattern.test(name)) return undefined;
  const shown = JSON.stringify(name);
  if (name === '') return `the name is empty; ${rule.help}`;
  if (name.includes('/')) return `${shown} contains "/"; a name is never a path: ${rule.help}`;
  if (name.includes('..') && !rule.chars.test('.')) return `${shown} contains ".."; ${rule.help}`;
  if (/\s/.test(name)) return `${shown} contains a space; ${rule.help}`;
  if (name.length > rule.max) return `${shown} is ${name.length} characters long; the limit is ${rule.max}${rule.why ?? ''}`;
  if (/[A-Z]/.test(name) && rule.pattern.test(name.toLowerCase())) {
    return `${shown} has uppercase letters; write it in lowercase: ${JSON.stringify(name.toLowerCase())}`;
  }
  const first = name[0] ?? '';
  if (!/[A-Za-z0-9]/.test(first)) return `${shown} starts with ${JSON.stringify(first)}; ${rule.help}`;
  const bad = [...name].find((c) => !rule.chars.test(c));
  if (bad === undefined) return `${shown} is not a valid name; ${rule.help}`;
  const fixed = name.replace(/_/g, '-');
  const hint = bad === '_' && rule.pattern.test(fixed) ? ` (e.g. ${JSON.stringify(fixed)})` : '';
  return `${shown} contains ${JSON.stringify(bad)}; ${rule.help}${hint}`;
}

/** The name as written, or `vm name "a/b" contains "/"; ...`. */
export function parseName(kind: NameKind, input: unknown): Parsed<string> {
  const label = RULES[kind].label;
  if (typeof input !== 'string') return fail(`expected the name of a ${label}, got ${describeValue(input)}`);
  const problem = nameProblem(kind, input);
  return problem === undefined ? ok(input) : fail(`${label} name ${problem}`);
}

export function isValidName(kind: NameKind, name: string): boolean {
  return RULES[kind].pattern.test(name);
}

export function nameSchema(kind: NameKind) {
  return syntaxSchema<string>((input) => parseName(kind, input));
}
