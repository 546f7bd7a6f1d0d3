// The create wizard's form: what a person types (all strings), turned into the
// contract's VmCreateSpec and checked with the contract's own schemas, so the
// messages beside the fields are the ones the helper would give (sizes, names and the
// network are the vocabulary's syntaxes). A Nova network is chosen as "nova:NAME";
// cloud-init fields apply to cloud images only.
import { VmCreateSpecSchema, type OsProfile, type VmCreateSpecIn, type VmNetworkChoice } from '../../../src-shared/vm.js';
import { parseVmNetworkChoice } from '../../../src-shared/vocabulary/index.js';

export type VmSource = 'iso' | 'disk' | 'cloud' | 'kernel';

export interface VmCreateForm {
  name: string;
  osType: 'linux' | 'windows' | 'other';
  source: VmSource;
  iso: string;
  /** A driver ISO (virtio-win) for the second CD drive; for Windows 11 its disk is then virtio. */
  driverIso: string;
  image: string;
  linkedImage: boolean;
  kernel: string;
  initrd: string;
  cmdline: string;
  machine: 'q35' | 'microvm';
  cpus: string;
  memory: string;
  diskSize: string;
  firmware: 'bios' | 'uefi' | 'uefi-secure';
  /** The OS profile osinfo found on the ISO ("windows11", "debian11"); empty: none. */
  os: string;
  accel: 'auto' | 'kvm' | 'tcg';
  /** "none", "user" or "nova:NAME". */
  network: string;
  cloudHostname: string;
  cloudUser: string;
  cloudPassword: string;
  /** One SSH public key per line. */
  cloudSshKeys: string;
  description: string;
}

export type VmCreateField = keyof VmCreateForm;
export type FieldErrors = Partial<Record<VmCreateField, string>>;

export const EMPTY_FORM: VmCreateForm = {
  name: '',
  osType: 'linux',
  source: 'iso',
  iso: '',
  driverIso: '',
  image: '',
  linkedImage: true,
  kernel: '',
  initrd: '',
  cmdline: 'console=tty0 console=ttyS0',
  machine: 'q35',
  cpus: '1',
  memory: '1Gi',
  diskSize: '10Gi',
  firmware: 'bios',
  os: '',
  accel: 'auto',
  network: 'none',
  cloudHostname: '',
  cloudUser: '',
  cloudPassword: '',
  cloudSshKeys: '',
  description: '',
};

/** Which fields each source shows; the rest are left out of the spec. */
export const SOURCE_FIELDS: Record<VmSource, VmCreateField[]> = {
  iso: ['iso', 'driverIso', 'diskSize', 'firmware'],
  disk: ['image', 'linkedImage', 'firmware'],
  cloud: ['image', 'linkedImage', 'cloudHostname', 'cloudUser', 'cloudPassword', 'cloudSshKeys', 'firmware'],
  kernel: ['kernel', 'initrd', 'cmdline', 'machine', 'diskSize'],
};

/** The form's network value as the contract's choice; the text itself when it is not one, for the schema to explain. */
export function networkChoice(value: string): VmNetworkChoice | string {
  const parsed = parseVmNetworkChoice(value);
  return parsed.ok ? parsed.value : value;
}

export function sshKeyLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function toSpec(form: VmCreateForm): VmCreateSpecIn {
  const shown = new Set(SOURCE_FIELDS[form.source]);
  const text = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());
  const spec: VmCreateSpecIn = {
    name: form.name.trim(),
    osType: form.osType,
    cpus: /^\d+$/.test(form.cpus.trim()) ? Number(form.cpus.trim()) : Number.NaN,
    memory: form.memory.trim(),
    machine: form.source === 'kernel' ? form.machine : 'q35',
    firmware: shown.has('firmware') ? form.firmware : 'bios',
    accel: form.accel,
    network: networkChoice(form.network),
    description: form.description,
  };
  if (shown.has('diskSize') && text(form.diskSize)) spec.diskSize = form.diskSize.trim();
  // The profile brings the TPM and Hyper-V; the fields above say the rest.
  if (form.source === 'iso' && text(form.os)) spec.os = form.os.trim();
  if (form.source === 'iso') spec.iso = text(form.iso);
  if (form.source === 'iso' && text(form.driverIso)) spec.driverIso = form.driverIso.trim();
  if (form.source === 'disk' || form.source === 'cloud') {
    spec.image = text(form.image);
    spec.linkedImage = form.linkedImage;
  }
  const keys = sshKeyLines(form.cloudSshKeys);
  if (form.source === 'cloud' && (text(form.cloudHostname) || text(form.cloudUser) || text(form.cloudPassword) || keys.length > 0)) {
    spec.cloudInit = {
      ...(text(form.cloudHostname) ? { hostname: text(form.cloudHostname) } : {}),
      ...(text(form.cloudUser) ? { user: text(form.cloudUser) } : {}),
      // A password is taken as typed: leading or trailing spaces may be meant.
      ...(form.cloudPassword !== '' ? { password: form.cloudPassword } : {}),
      sshAuthorizedKeys: keys,
    };
  }
  if (form.source === 'kernel') {
    spec.kernel = text(form.kernel);
    spec.initrd = text(form.initrd);
    spec.cmdline = form.cmdline.trim();
  }
  return spec;
}

const CLOUD_INIT_FIELDS: Record<string, VmCreateField> = {
  hostname: 'cloudHostname',
  user: 'cloudUser',
  password: 'cloudPassword',
  sshAuthorizedKeys: 'cloudSshKeys',
};

function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  const key = String(path[0] ?? 'name');
  if (key === 'cloudInit') return CLOUD_INIT_FIELDS[String(path[1])] ?? 'cloudUser';
  return key;
}

/** Every problem, by field: the schema's own messages, plus what each source needs. */
export function validateForm(form: VmCreateForm): FieldErrors {
  const errors: FieldErrors = {};
  const spec = toSpec(form);
  const parsed = VmCreateSpecSchema.safeParse(spec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path) as VmCreateField;
      if (!(field in form) || errors[field]) continue;
      const line = field === 'cloudSshKeys' && typeof issue.path[2] === 'number' ? `line ${issue.path[2] + 1}: ` : '';
      errors[field] = field === 'cpus' && Number.isNaN(spec.cpus) ? 'a whole number of CPUs' : line + issue.message;
    }
  }
  const need = (field: VmCreateField, what: string) => {
    if (!errors[field] && String(form[field]).trim() === '') errors[field] = what;
  };
  if (form.source === 'iso') need('iso', 'the path of an installer ISO on the host');
  if (form.source === 'disk' || form.source === 'cloud') need('image', 'the path of a disk image on the host');
  if (form.source === 'kernel') need('kernel', 'the path of a kernel (vmlinux or bzImage) on the host');
  if (form.source === 'kernel' && form.machine === 'microvm' && !errors.machine) {
    // QEMU's microvm has no display device: say so before the console stays black.
    if (form.osType !== 'linux') errors.machine = 'microvm boots Linux kernels only';
  }
  return errors;
}

/** MiB as the form writes sizes: whole GiB as "4Gi", the rest as MiB. */
function sizeText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/**
 * The form after osinfo recognised the picked ISO: its OS profile, and its recommended
 * OS type, CPUs, memory, disk and firmware in every field the person has not changed.
 */
export function withDetectedOs(form: VmCreateForm, profile: OsProfile, touched: ReadonlySet<VmCreateField>): VmCreateForm {
  const next: VmCreateForm = { ...form, os: profile.os };
  const fill = <K extends VmCreateField>(key: K, value: VmCreateForm[K]) => {
    if (!touched.has(key)) next[key] = value;
  };
  fill('osType', profile.osType);
  fill('cpus', String(profile.cpus));
  fill('memory', sizeText(profile.memoryMiB));
  fill('diskSize', sizeText(profile.diskMiB));
  if (profile.os === 'windows11') fill('firmware', 'uefi-secure');
  return next;
}
