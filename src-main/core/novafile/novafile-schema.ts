// The NovaFile's schema: every table and key a NovaFile may hold, what each value
// must look like, and the rules between keys of one table. Messages are written for
// the user (the parser adds file, line, column and key). Checks that span tables
// (network references, duplicate names) live in novafile-references.ts.
import { z } from 'zod';
import type { KeyPath } from './novafile-positions.js';
import {
  describeValue,
  envNameProblem,
  NAME_MAX,
  nameProblem,
  NETWORK_NAME_MAX,
  parseCapsuleUser,
  parseDhcpRange,
  parseDnsName,
  parseEgressRule,
  parseForward,
  parseGuestPath,
  parseImageReference,
  parseInterfaceName,
  parseLoginName,
  parsePciAddress,
  parsePeer,
  parsePortMapping,
  parseRestartPolicy,
  parseSize,
  parseSshPublicKey,
  parseSubnet,
  parseVolume,
  pathProblem,
  type Parsed,
} from './novafile-specs.js';
import { cidrContains, parseIp, type IpAddress } from '../../../src-shared/ip-cidr.js';

// ---------------------------------------------------------------------------------
// Building blocks: each says in words what it expects, for the error message.

type IssueLike = { readonly input?: unknown };

/** "expected X, got Y"; a missing required key reads "required key is missing; expected X". */
function expected(what: string): (issue: IssueLike) => string {
  return (issue) =>
    issue.input === undefined
      ? `required key is missing; expected ${what}`
      : `expected ${what}, got ${describeValue(issue.input)}`;
}

function text(what: string) {
  return z.string({ error: expected(what) });
}

function integer(what: string, min: number, max: number) {
  const error = expected(what);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  const choices = values.map((v) => JSON.stringify(v));
  const list = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : choices[0];
  return z.enum(values, { error: (issue) => `${describeValue(issue.input)} is not ${what}; use ${list}` });
}

/** A string run through one of novafile-specs' parsers. */
function parsedString<T>(what: string, parse: (s: string) => Parsed<T>) {
  return text(what).transform((s, ctx): T => {
    const result = parse(s);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input: s });
    return z.NEVER;
  });
}

function list<S extends z.ZodType>(item: S, what: string) {
  return z.array(item, { error: expected(`a list of ${what}`) });
}

function table<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  return z.strictObject(shape, { error: expected(what) });
}

/**
 * Runs a rule between keys of one table only when none of `keys` failed on its own,
 * so the rule sees typed values and each problem is reported once.
 */
function whenValid(keys: readonly string[]) {
  return {
    when: (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
      !payload.issues.some((issue) => keys.includes(String(issue.path?.[0]))),
  };
}

/** Marks an issue to be shown at the key rather than at its value. */
const AT_KEY = { at: 'key' } as const;

const filePath = (what: string) =>
  parsedString(what, (s): Parsed<string> => {
    const problem = pathProblem(s);
    return problem ? { ok: false, message: problem } : { ok: true, value: s };
  });

/** A size string ("16Gi") or an integer count of MiB, as MiB. */
const size = () =>
  z.unknown().transform((value, ctx): number => {
    const result = parseSize(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input: value });
    return z.NEVER;
  });

function resourceName(kind: string, max: number, why = '') {
  return parsedString(`the name of a ${kind}`, (s): Parsed<string> => {
    const problem = nameProblem(s, max, why);
    return problem ? { ok: false, message: `${kind} name ${problem}` } : { ok: true, value: s };
  });
}

const NETWORK_NAME_WHY = ' (network names become Linux interface names)';

/** `network = "NAME"` in a VM or capsule; that NAME is declared is checked across tables. */
const networkReference = resourceName('network', NETWORK_NAME_MAX, NETWORK_NAME_WHY);

/** [vm.NAME], [container.NAME], [network.NAME]: a table of tables whose keys are names. */
function namedTables<S extends z.ZodType>(group: string, kind: string, max: number, item: S, why = '') {
  return z
    .record(z.string(), item, { error: expected(`a table of ${kind === 'vm' ? 'VM' : kind}s, e.g. [${group}.NAME]`) })
    .superRefine(
      (tables, ctx) => {
        for (const name of Object.keys(tables)) {
          const problem = nameProblem(name, max, why);
          if (problem) ctx.addIssue({ code: 'custom', message: `${kind} name ${problem}`, path: [name], params: AT_KEY });
        }
      },
      // Names are checked even when a table's contents fail, so every problem shows at once.
      { when: () => true },
    );
}

// ---------------------------------------------------------------------------------
// [vm.NAME]

export type GpuPassthrough = { kind: 'off' } | { kind: 'auto' } | { kind: 'devices'; addresses: string[] };

const GPU_HELP = 'true, false, a PCI address such as "0000:01:00.0", or a list of them';

/** true (Nova picks the host's spare GPU at apply time), false, or explicit PCI addresses. */
const gpuPassthrough = z.unknown().transform((value, ctx): GpuPassthrough => {
  if (value === true) return { kind: 'auto' };
  if (value === false) return { kind: 'off' };
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!items) {
    ctx.addIssue({ code: 'custom', message: `expected ${GPU_HELP}, got ${describeValue(value)}`, input: value });
    return z.NEVER;
  }
  if (items.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'the list is empty; list PCI addresses, or write false for no passthrough', input: value });
    return z.NEVER;
  }
  const addresses: string[] = [];
  items.forEach((item, index) => {
    const path = Array.isArray(value) ? [index] : [];
    const result = typeof item === 'string' ? parsePciAddress(item) : undefined;
    if (!result) ctx.addIssue({ code: 'custom', message: `expected a PCI address string, got ${describeValue(item)}`, path, input: item });
    else if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message, path, input: item });
    else if (addresses.includes(result.value)) {
      ctx.addIssue({ code: 'custom', message: `${result.value} is listed twice`, path, input: item });
    } else addresses.push(result.value);
  });
  return addresses.length === items.length ? { kind: 'devices', addresses } : z.NEVER;
});

const cloudInitShape = {
  user: parsedString('a user name such as "dev"', parseLoginName).optional(),
  /** Written to the NoCloud seed as given; prefer ssh_authorized_keys. */
  password: text('a password string').optional(),
  ssh_authorized_keys: list(parsedString('an SSH public key', parseSshPublicKey), 'SSH public keys').optional(),
  hostname: parsedString('a host name such as "web-1"', (s) => parseDnsName(s, 'hostname')).optional(),
};

const vmShape = {
  /** The boot disk. */
  image: filePath('the path of a disk image, e.g. "/var/lib/nova/images/win11.qcow2"').optional(),
  /** An installer or live ISO, attached as a CD-ROM. */
  iso: filePath('the path of an ISO image').optional(),
  /** Direct kernel boot (required by machine = "microvm"). */
  kernel: filePath('the path of a kernel image, e.g. "./vmlinux"').optional(),
  initrd: filePath('the path of an initramfs').optional(),
  cmdline: text('a kernel command line string').optional(),
  cpu: integer('a whole number of virtual CPUs from 1 to 512', 1, 512).optional(),
  memory: size().optional(),
  /** Size of the disk Nova creates (or grows) at `image`. */
  disk_size: size().optional(),
  machine: oneOf(['q35', 'microvm'], 'a machine type').optional(),
  firmware: oneOf(['uefi', 'bios'], 'a firmware').optional(),
  /** `auto`: KVM when the host can use it, TCG otherwise (apply time says which and why). */
  accel: oneOf(['auto', 'kvm', 'tcg'], 'an accelerator').optional(),
  display: oneOf(['vnc', 'spice', 'none'], 'a display').optional(),
  network: networkReference.optional(),
  gpu_passthrough: gpuPassthrough.optional(),
  cloud_init: table(cloudInitShape, 'a table of cloud-init settings, e.g. cloud_init = { user = "dev" }').optional(),
};

const VmSchema = table(vmShape, 'a table of VM settings, e.g. [vm.NAME] with cpu = 2')
  .superRefine(
    (vm, ctx) => {
      if (vm.machine === 'microvm' && vm.kernel === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['machine'],
          message: 'machine = "microvm" boots a kernel directly; set kernel (and usually initrd and cmdline)',
        });
      }
    },
    whenValid(['machine', 'kernel']),
  )
  .superRefine(
    (vm, ctx) => {
      if (vm.kernel !== undefined) return;
      for (const key of ['initrd', 'cmdline'] as const) {
        if (vm[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            params: AT_KEY,
            message: `${key} is used only with direct kernel boot; set kernel or remove ${key}`,
          });
        }
      }
    },
    whenValid(['kernel', 'initrd', 'cmdline']),
  );

// ---------------------------------------------------------------------------------
// [container.NAME] / [capsule.NAME]

const capsuleShape = {
  capsule: parsedString('the image to run, e.g. capsule = "ubuntu:22.04"', parseImageReference),
  command: list(text('a string'), 'strings, e.g. ["nginx", "-g", "daemon off;"]')
    .min(1, { error: "the command is empty; remove the key to run the image's default command" })
    .optional(),
  env: z
    .record(z.string(), text('a string (quote numbers: "8080")'), {
      error: expected('a table of strings, e.g. env.API_KEY = "secret"'),
    })
    .superRefine(
      (env, ctx) => {
        for (const name of Object.keys(env)) {
          const problem = envNameProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [name], params: AT_KEY });
        }
      },
      { when: () => true },
    )
    .optional(),
  /** "host:guest[:ro]"; a relative host path is relative to the NovaFile's folder. */
  volumes: list(parsedString('a volume such as "./data:/srv/data:ro"', parseVolume), 'volumes')
    .superRefine((volumes, ctx) => {
      volumes.forEach((volume, index) => {
        if (volumes.findIndex((v) => v.guest === volume.guest) < index) {
          ctx.addIssue({ code: 'custom', path: [index], message: `${volume.guest} is mounted twice in this capsule` });
        }
      });
    })
    .optional(),
  network: networkReference.optional(),
  /** "host:guest[/tcp|/udp]"; clashes between capsules are checked across tables. */
  ports: list(parsedString('a port mapping such as "8080:80"', parsePortMapping), 'port mappings').optional(),
  /** CPU time as a number of CPUs; fractions allowed (0.5 = half a CPU). */
  cpu: z
    .number({ error: expected('a number of CPUs greater than 0, e.g. 0.5 or 2') })
    .gt(0, { error: expected('a number of CPUs greater than 0, e.g. 0.5 or 2') })
    .max(512, { error: expected('a number of CPUs up to 512') })
    .optional(),
  memory: size().optional(),
  pids: integer('a whole number of processes from 1 to 4194304', 1, 4_194_304).optional(),
  restart: parsedString('a restart policy such as "on-failure:3"', parseRestartPolicy).optional(),
  workdir: parsedString('an absolute path such as "/srv/app"', (s) => parseGuestPath(s, 'workdir')).optional(),
  user: parsedString('a user such as "1000:1000"', parseCapsuleUser).optional(),
};

const CapsuleSchema = table(capsuleShape, 'a table of capsule settings, e.g. [container.NAME] with capsule = "ubuntu:22.04"');

// ---------------------------------------------------------------------------------
// [network.NAME]

export type NetworkType = 'bridge' | 'overlay';
export type NetworkProfile = 'nat' | 'external' | 'internal';

/**
 * The profile when none is written: a bridge with uplink interfaces is bridged onto
 * the LAN (external), any other bridge is NATed; an overlay stays among its guests.
 */
export function networkProfile(type: NetworkType, profile: NetworkProfile | undefined, interfaces: readonly string[] | undefined): NetworkProfile {
  if (profile) return profile;
  if (type === 'overlay') return 'internal';
  return interfaces && interfaces.length > 0 ? 'external' : 'nat';
}

const networkShape = {
  /** Default "bridge". */
  type: oneOf(['bridge', 'overlay'], 'a network type').optional(),
  /** nat: routed out through the host; external: bridged onto the uplink; internal: no way out. */
  profile: oneOf(['nat', 'external', 'internal'], 'a network profile').optional(),
  /** The host's own address on the network with its prefix: "192.168.220.1/24". */
  subnet: parsedString('a subnet such as "192.168.220.1/24"', parseSubnet).optional(),
  /** "first-last", inside the subnet. */
  dhcp_range: parsedString('a range such as "10.203.0.100-10.203.0.199"', parseDhcpRange).optional(),
  /** Host uplinks: bridged for profile "external", the way out for "nat", the underlay for an overlay. */
  interfaces: list(parsedString('an interface name such as "enp6s0"', parseInterfaceName), 'interface names')
    .min(1, { error: 'the list is empty; name at least one interface or remove the key' })
    .optional(),
  /** Serve DNS for the guests (names `<guest>.<domain>` when `domain` is set). */
  dns: z.boolean({ error: expected('true or false') }).optional(),
  /**
   * Overlay transport. Any name is accepted here: which drivers this host provides
   * (vxlan, wireguard, quic, ...) is known only at apply time.
   */
  driver: text('the name of an overlay driver, e.g. "vxlan"').min(1, { error: 'the driver name is empty' }).optional(),
  vni: integer('a VXLAN network identifier from 1 to 16777215', 1, 16_777_215).optional(),
  /** Other hosts of an overlay: "192.0.2.10", "peer.lan:4789", "[fd00::2]:4789"; for wireguard "KEY@192.0.2.10:51820". */
  peers: list(parsedString('a peer address such as "192.0.2.10:4789"', parsePeer), 'peer addresses').optional(),
  /** driver "wireguard": the UDP port this host's tunnel listens on (default 51820; the peers write it after their address). */
  listen_port: integer('a UDP port from 1 to 65535', 1, 65_535).optional(),
  /**
   * Allowed egress; once set, everything else leaving the network is dropped. Each
   * entry is "CIDR" (any port there; a single address means /32 or /128),
   * "CIDR:port[/proto]" (IPv6 CIDRs in brackets: "[fd00::/8]:443"), or
   * "port[/proto]" (that port anywhere). Ports may be ranges ("8000-8100"); with no
   * "/tcp" or "/udp" a port rule covers both.
   */
  egress_allow: list(parsedString('an egress rule such as "10.0.0.0/8:443/tcp"', parseEgressRule), 'egress rules').optional(),
  /**
   * Host ports forwarded to guests: "hostport:guestaddress:guestport[/proto]", e.g.
   * "8080:10.203.0.10:80" or "2222:[fd00::10]:22/tcp"; TCP when no protocol is given.
   */
  forwards: list(parsedString('a forward such as "8080:10.203.0.10:80"', parseForward), 'forwards').optional(),
};

const OVERLAY_ONLY = ['driver', 'vni', 'peers', 'listen_port'] as const;

const NetworkSchema = table(networkShape, 'a table of network settings, e.g. [network.NAME] with type = "bridge"')
  .superRefine(
    (net, ctx) => {
      const type = net.type ?? 'bridge';
      const profile = networkProfile(type, net.profile, net.interfaces);
      if (type === 'bridge') {
        for (const key of OVERLAY_ONLY) {
          if (net[key] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              params: AT_KEY,
              message: `${key} applies only to overlay networks; add type = "overlay" or remove ${key}`,
            });
          }
        }
      }
      if (type === 'overlay' && net.listen_port !== undefined && net.driver !== 'wireguard') {
        ctx.addIssue({
          code: 'custom',
          path: ['listen_port'],
          params: AT_KEY,
          message: 'listen_port applies only to driver = "wireguard" (VXLAN inside a WireGuard tunnel); add driver = "wireguard" or remove listen_port',
        });
      }
      if (net.driver === 'wireguard') {
        (net.peers ?? []).forEach((peer, i) => {
          if (peer.publicKey !== undefined) return;
          const label = peer.port ? `${peer.host}:${peer.port}` : peer.host;
          ctx.addIssue({
            code: 'custom',
            path: ['peers', i],
            message: `wireguard peer "${label}" has no public key; write it as "KEY@${label}" with the key \`nova net inspect\` prints on that host`,
          });
        });
      }
      if (profile === 'external' && type === 'overlay') {
        ctx.addIssue({
          code: 'custom',
          path: ['profile'],
          message: 'profile = "external" bridges host interfaces and needs type = "bridge"; an overlay is "nat" or "internal"',
        });
      } else if (profile === 'external' && !net.interfaces) {
        ctx.addIssue({
          code: 'custom',
          path: ['profile'],
          message: 'an external network bridges a host interface onto the LAN; add interfaces = ["enp6s0"] (your uplink) or use profile = "nat"',
        });
      }
      if (profile === 'internal' && type === 'bridge' && net.interfaces) {
        ctx.addIssue({
          code: 'custom',
          path: ['interfaces'],
          params: AT_KEY,
          message: 'an internal network has no way out, so it takes no interfaces; remove them or use profile = "nat" or "external"',
        });
      }
    },
    whenValid(['type', 'profile', 'interfaces', ...OVERLAY_ONLY]),
  )
  .superRefine(
    (net, ctx) => {
      const range = net.dhcp_range;
      if (!range) return;
      if (!net.subnet) {
        ctx.addIssue({ code: 'custom', path: ['dhcp_range'], message: 'a DHCP range needs a subnet; add subnet = "10.203.0.1/24" (for example)' });
        return;
      }
      const { cidr, spec } = net.subnet;
      const inside = (ip: IpAddress) => cidrContains(cidr, ip) && ip.value > cidr.first && (ip.family === 6 || ip.value < cidr.last);
      if (!inside(range.start) || !inside(range.end)) {
        ctx.addIssue({ code: 'custom', path: ['dhcp_range'], message: `the range is not inside the subnet ${spec.cidr} (its usable addresses, without the network and broadcast address)` });
      } else if (range.start.value <= cidr.address.value && cidr.address.value <= range.end.value) {
        ctx.addIssue({ code: 'custom', path: ['dhcp_range'], message: `the range includes the host's own address ${spec.gateway}; start it after that address` });
      }
    },
    whenValid(['subnet', 'dhcp_range']),
  )
  .superRefine(
    (net, ctx) => {
      if (!net.subnet || !net.forwards) return;
      const { cidr, spec } = net.subnet;
      net.forwards.forEach((forward, index) => {
        const target = parseIp(forward.guestAddress);
        if (!target || !cidrContains(cidr, target)) {
          ctx.addIssue({
            code: 'custom',
            path: ['forwards', index],
            message: `guest address ${forward.guestAddress} is not inside this network's subnet ${spec.cidr}`,
          });
        }
      });
    },
    whenValid(['subnet', 'forwards']),
  );

// ---------------------------------------------------------------------------------
// The whole file

const topShape = {
  /** Names the project; Nova prefixes the project's resources with it. */
  project: resourceName('project', NAME_MAX),
  /** Service discovery: guests resolve each other as NAME.<domain> on networks with dns. */
  domain: parsedString('a DNS domain such as "lab.example"', (s) => parseDnsName(s, 'domain')).optional(),
  vm: namedTables('vm', 'vm', NAME_MAX, VmSchema).optional(),
  container: namedTables('container', 'capsule', NAME_MAX, CapsuleSchema).optional(),
  /** Same as [container.NAME]; a name may appear under only one of the two. */
  capsule: namedTables('capsule', 'capsule', NAME_MAX, CapsuleSchema).optional(),
  network: namedTables('network', 'network', NETWORK_NAME_MAX, NetworkSchema, NETWORK_NAME_WHY).optional(),
};

export const NovaFileSchema = table(topShape, 'a NovaFile');

/** The file as validated: values parsed and typed, paths still as written. */
export type NovaFileDocument = z.output<typeof NovaFileSchema>;
export type VmDocument = z.output<typeof VmSchema>;
export type CapsuleDocument = z.output<typeof CapsuleSchema>;
export type NetworkDocument = z.output<typeof NetworkSchema>;

/** The keys valid in the table at `path` (for "did you mean"), or undefined when any key is. */
export function knownKeysAt(path: KeyPath): readonly string[] | undefined {
  const kind = tableKindAt(path);
  return kind === undefined ? undefined : KEYS_BY_KIND[kind];
}

export type TableKind = 'top' | 'vm' | 'capsule' | 'network' | 'cloud_init';

const KEYS_BY_KIND: Record<TableKind, readonly string[]> = {
  top: Object.keys(topShape),
  vm: Object.keys(vmShape),
  capsule: Object.keys(capsuleShape),
  network: Object.keys(networkShape),
  cloud_init: Object.keys(cloudInitShape),
};

export function tableKindAt(path: KeyPath): TableKind | undefined {
  const [group, , field] = path;
  if (path.length === 0) return 'top';
  if (path.length === 2 && group === 'vm') return 'vm';
  if (path.length === 2 && (group === 'container' || group === 'capsule')) return 'capsule';
  if (path.length === 2 && group === 'network') return 'network';
  if (path.length === 3 && group === 'vm' && field === 'cloud_init') return 'cloud_init';
  return undefined;
}

/** Which other kinds of table accept `key` (to explain "ports" written in a VM). */
export function kindsAccepting(key: string): TableKind[] {
  return (Object.keys(KEYS_BY_KIND) as TableKind[]).filter((kind) => KEYS_BY_KIND[kind].includes(key));
}
