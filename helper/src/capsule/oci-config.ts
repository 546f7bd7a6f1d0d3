// Capsule spec + image config -> the bundle's config.json, as a pure function with golden
// tests (helper/src/capsule/golden/), the way Proxmox builds QEMU command lines. Everything
// that needs the filesystem (volume checks, user lookup, netns) is resolved by the caller.
// In a user namespace (user-namespace.ts) the mounts change where the kernel demands it.
import type { CapsuleSpec, OciImageConfig } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import { defaultSeccompProfile, type SeccompProfile } from './seccomp-profile.js';
import type { CapsuleGpuGrant, OciDeviceNode } from '../devices/gpu-nodes.js';

export const OCI_VERSION = '1.0.2';
export const CPU_PERIOD_US = 100_000;
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's and containerd's default capability set. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Kernel files a container must not read (containerd's list). */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Kernel files a container may read but not write. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

export interface IdMapping {
  /** First host uid/gid that container id 0 maps to. */
  hostId: number;
  size: number;
}

export interface ResolvedVolume {
  /** A path only the helper can change: the staging point the volume is bound on for the run (volume-staging.ts). */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface OciConfigInput {
  spec: CapsuleSpec;
  image: OciImageConfig;
  /** The merged root filesystem (absolute, or relative to the bundle). */
  rootfsPath: string;
  /** e.g. `/nova/NAME` (cgroupfs driver: relative to each hierarchy's root). */
  cgroupsPath: string;
  /** A network namespace to join (a Nova network); null gives the capsule a fresh, empty one. */
  netnsPath: string | null;
  /** Set when the capsule runs in a user namespace. */
  idMapping: IdMapping | null;
  /**
   * The user namespace that owns `netnsPath` (capsule-netns.ts), joined instead of a fresh one;
   * its mapping must be `idMapping`.
   */
  usernsPath?: string | null;
  volumes: readonly ResolvedVolume[];
  /** The user, already resolved to numbers (names looked up in the image's /etc/passwd). */
  user: { uid: number; gid: number; additionalGids?: number[] };
  /** Generated /etc files bind-mounted into the capsule. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string } | null;
  /** Host device nodes the capsule is given (its GPUs, gpu-nodes.ts); absent: none. */
  devices?: readonly OciDeviceNode[];
  /** The rest of its CDI devices' edits: driver libraries, env, hooks (cdi-specs.ts). */
  cdi?: CapsuleGpuGrant['cdi'];
}

type OciHook = { path: string; args?: string[]; env?: string[]; timeout?: number };

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  hooks?: Partial<Record<'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop', OciHook[]>>;
  annotations: Record<string, string>;
  linux: {
    uidMappings?: { containerID: number; hostID: number; size: number }[];
    gidMappings?: { containerID: number; hostID: number; size: number }[];
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    devices?: OciDeviceNode[];
    resources: {
      devices: { allow: boolean; access: string; type?: 'c'; major?: number; minor?: number }[];
      cpu?: { quota: number; period: number };
      memory?: { limit: number; swap: number };
      pids?: { limit: number };
      blockIO?: { weight: number };
    };
    seccomp: SeccompProfile;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** The command a capsule runs: Docker's rule, an overridden entrypoint drops the image's cmd. */
export function capsuleArgs(spec: CapsuleSpec, image: OciImageConfig): string[] {
  const entrypoint = spec.entrypoint ?? image.entrypoint;
  const cmd = spec.command ?? (spec.entrypoint ? [] : image.cmd);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new NovaError('invalid_argument', `Capsule "${spec.name}" has no command: the image sets no entrypoint or cmd; give a command`);
  }
  return args;
}

/** Image env, then the spec's env overriding by name; PATH always present. */
export function capsuleEnv(spec: CapsuleSpec, image: OciImageConfig, hostname: string): string[] {
  const env = new Map<string, string>();
  for (const entry of image.env) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  env.set('HOSTNAME', hostname);
  for (const [k, v] of Object.entries(spec.env)) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function cpuLimit(cpus: number): { quota: number; period: number } {
  // The kernel refuses a quota below 1 ms.
  return { quota: Math.max(1000, Math.round(cpus * CPU_PERIOD_US)), period: CPU_PERIOD_US };
}

function baseMounts(withUserNamespace: boolean, netnsOwnedByHost: boolean): OciMount[] {
  // A fresh sysfs needs CAP_SYS_ADMIN over the network namespace's owner: in a fresh user
  // namespace that joins a namespace the host's user namespace owns, the host's /sys is bound.
  const sys: OciMount = withUserNamespace && netnsOwnedByHost
    ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      // gid=5 (tty) does not exist in a user namespace without a mapping for it.
      options: withUserNamespace
        ? ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']
        : ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sys,
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function bindMount(source: string, destination: string, readOnly: boolean): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', 'nosuid', 'nodev', readOnly ? 'ro' : 'rw'] };
}

export function buildOciConfig(input: OciConfigInput): OciConfig {
  const { spec, image } = input;
  const hostname = spec.hostname ?? spec.name.replace(/_/g, '-');
  const caps = [...DEFAULT_CAPABILITIES];
  const joinsUserns = input.idMapping !== null && Boolean(input.usernsPath);
  const mounts = baseMounts(input.idMapping !== null, input.netnsPath !== null && !joinsUserns);
  if (input.etcFiles) {
    mounts.push(bindMount(input.etcFiles.hosts, '/etc/hosts', false));
    mounts.push(bindMount(input.etcFiles.hostname, '/etc/hostname', false));
    mounts.push(bindMount(input.etcFiles.resolvConf, '/etc/resolv.conf', false));
  }
  for (const v of input.volumes) mounts.push(bindMount(v.source, v.target, v.readOnly));
  for (const m of input.cdi?.mounts ?? []) mounts.push({ destination: m.containerPath, type: 'bind', source: m.hostPath, options: [...m.options] });

  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    input.netnsPath ? { type: 'network', path: input.netnsPath } : { type: 'network' },
    { type: 'cgroup' },
  ];
  // Everything denied, then each given node allowed by its numbers: the cgroup is what keeps
  // the capsule from opening any other device, a node it might mknod included.
  const given = input.devices ?? [];
  const resources: OciConfig['linux']['resources'] = {
    devices: [{ allow: false, access: 'rwm' }, ...given.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: 'rwm' }))],
  };
  if (spec.cpus !== undefined) resources.cpu = cpuLimit(spec.cpus);
  // swap == limit: no swap beyond the memory limit, so the limit really bounds the capsule.
  if (spec.memoryBytes !== undefined) resources.memory = { limit: spec.memoryBytes, swap: spec.memoryBytes };
  if (spec.pids !== undefined) resources.pids = { limit: spec.pids };
  if (spec.ioWeight !== undefined) resources.blockIO = { weight: spec.ioWeight };

  const linux: OciConfig['linux'] = {
    namespaces,
    cgroupsPath: input.cgroupsPath,
    resources,
    seccomp: defaultSeccompProfile(),
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
  if (given.length > 0) linux.devices = given.map((d) => ({ ...d }));
  if (input.idMapping) {
    // Joined by path, the namespace already has its maps; runc 1.1 still wants them in the
    // config (it derives the host root uid from them) and does not write them again.
    namespaces.push(joinsUserns ? { type: 'user', path: input.usernsPath as string } : { type: 'user' });
    const map = [{ containerID: 0, hostID: input.idMapping.hostId, size: input.idMapping.size }];
    linux.uidMappings = map;
    linux.gidMappings = map.map((m) => ({ ...m }));
  }

  const user: OciConfig['process']['user'] = { uid: input.user.uid, gid: input.user.gid };
  if (input.user.additionalGids && input.user.additionalGids.length > 0) user.additionalGids = [...input.user.additionalGids];

  // A CDI spec's env comes after the image's and before the capsule's own, which win.
  const env = capsuleEnv(spec, image, hostname);
  for (const e of input.cdi?.env ?? []) {
    const key = e.split('=')[0] as string;
    if (Object.hasOwn(spec.env, key)) continue;
    const at = env.findIndex((x) => x.startsWith(`${key}=`));
    if (at >= 0) env[at] = e;
    else env.push(e);
  }
  const hooks: NonNullable<OciConfig['hooks']> = {};
  for (const h of input.cdi?.hooks ?? []) {
    (hooks[h.hookName] ??= []).push({ path: h.path, ...(h.args ? { args: [...h.args] } : {}), ...(h.env ? { env: [...h.env] } : {}), ...(h.timeout ? { timeout: h.timeout } : {}) });
  }

  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user,
      args: capsuleArgs(spec, image),
      env,
      cwd: spec.workdir ?? (image.workdir || '/'),
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfsPath, readonly: false },
    hostname,
    mounts,
    ...(Object.keys(hooks).length > 0 ? { hooks } : {}),
    annotations: { 'org.nova.capsule.name': spec.name },
    linux,
  };
}
