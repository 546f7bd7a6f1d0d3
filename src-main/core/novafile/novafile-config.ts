// The typed, normalized desired state that `nova up` plans from: values in the contract's
// own types (sizes in MiB, volumes, ports, forwards, peers, egress rules, restart
// policies), paths absolute (relative ones resolved from the NovaFile's folder). Built
// from a validated document by novafile-parser.ts; plain data only.
import path from 'node:path';
import type { PublishedPort, RestartPolicy, Volume } from '../../../src-shared/capsule.js';
import type { CapsuleGpus } from '../../../src-shared/capsule-gpus.js';
import type { LookingGlass, VmMdev } from '../../../src-shared/vm-passthrough.js';
import { defaultNetworkProfile, type DhcpRange, type EgressRule, type Forward, type NetworkProfile, type NetworkType, type Peer } from '../../../src-shared/network.js';
import { parseImageReference, parseSubnet, resolveVolume, valueOf, type ImageReference, type Subnet } from '../../../src-shared/vocabulary/index.js';
import type { Dependency, HealthCheck } from '../../../src-shared/health.js';
import { mergeSnapshotPolicy, type SnapshotPolicy } from '../../../src-shared/snapshot-policy.js';
import type { VmCreateSpec } from '../../../src-shared/vm.js';
import type { Autostart, VmRestartPolicy } from '../../../src-shared/vm-lifecycle.js';
import type { DiskBus, DiskCache, ExtraDisk, NicModel } from '../../../src-shared/vm-devices.js';
import type { CapsuleDocument, GpuPassthrough, NetworkDocument, NovaFileDocument, VmDocument } from './novafile-schema.js';

export type { GpuPassthrough, NetworkProfile, NetworkType };

export interface CloudInitConfig {
  user?: string;
  password?: string;
  sshAuthorizedKeys: string[];
  hostname?: string;
}

/** Keys the file leaves out stay undefined: Nova's defaults apply at plan time. */
/** One NIC of a VM's `networks`: absent MAC and model are Nova's stable MAC and virtio. */
export interface NicConfig {
  network: string;
  mac?: string;
  model?: NicModel;
}

export interface VmConfig {
  name: string;
  /**
   * Values written without a "/" (`image = "debian-12-genericcloud"`): library image names
   * unless a file of that name lies beside the NovaFile (project/library-images.ts decides
   * once the library is read). The fields below hold them resolved as paths meanwhile.
   */
  libraryNames?: LibraryNameRef[];
  image?: string;
  iso?: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  cpu?: number;
  memoryMiB?: number;
  diskSizeMiB?: number;
  machine?: VmCreateSpec['machine'];
  firmware?: VmCreateSpec['firmware'];
  /** An OS profile: `windows11` or an osinfo id (firmware, TPM, Hyper-V and resources follow from it). */
  os?: string;
  tpm?: boolean;
  secureBoot?: boolean;
  hyperv?: boolean;
  accel?: VmCreateSpec['accel'];
  display?: VmCreateSpec['display'];
  /** The first NIC's Nova network (`network`, or the first of `networks`). */
  network?: string;
  /** Every NIC's Nova network in order, when the file has any. */
  networks?: string[];
  /** The same NICs with what `networks` gives besides the network: a MAC (net0's may come from `mac`) and a model. */
  nics?: NicConfig[];
  /** The device model: MAC, the boot disk's bus and cache, further disks (paths absolute), CDs, boot order, guest agent. */
  mac?: string;
  diskBus?: DiskBus;
  diskCache?: DiskCache;
  disks?: ExtraDisk[];
  driverIso?: string;
  cdroms?: string[];
  bootOrder?: string[];
  guestAgent?: boolean;
  gpuPassthrough: GpuPassthrough;
  /** `devices`: PCI addresses (bound to vfio-pci at start) and USB devices ("usb:046d:c52b"). */
  pciDevices?: string[];
  usb?: string[];
  lookingGlass?: LookingGlass;
  mdevs?: VmMdev[];
  singleGpu?: boolean;
  cloudInit?: CloudInitConfig;
  dependsOn: Dependency[];
  health?: HealthCheck;
  /** Host paths absolute; absent: none. */
  shares?: Volume[];
  /** Absent (or `autostart = false`): not started at boot. */
  autostart?: Autostart;
  restart?: VmRestartPolicy;
  /** The project's [snapshots] with this VM's own keys over it. */
  snapshots?: SnapshotPolicy;
  /** `host = "closet"`: the saved host it runs on; absent: the project's default host. */
  host?: string;
}

export interface CapsuleConfig {
  name: string;
  image: ImageReference;
  command?: string[];
  env: Record<string, string>;
  /** Host paths absolute. */
  volumes: Volume[];
  network?: string;
  ports: PublishedPort[];
  cpu?: number;
  memoryMiB?: number;
  pids?: number;
  restart?: RestartPolicy;
  workdir?: string;
  user?: string;
  gpus?: CapsuleGpus;
  autostart?: Autostart;
  dependsOn: Dependency[];
  health?: HealthCheck;
  /** The project's [snapshots] with this capsule's own keys over it. */
  snapshots?: SnapshotPolicy;
  /** `host = "closet"`: the saved host it runs on; absent: the project's default host. */
  host?: string;
}

export interface NetworkConfig {
  name: string;
  type: NetworkType;
  /** Written or derived (defaultNetworkProfile in src-shared/network.ts). */
  profile: NetworkProfile;
  subnet?: Subnet;
  dhcpRange?: DhcpRange;
  interfaces: string[];
  dns?: boolean;
  driver?: string;
  vni?: number;
  peers: Peer[];
  /** driver "wireguard": this host's UDP port for the tunnel. */
  listenPort?: number;
  egressAllow: EgressRule[];
  forwards: Forward[];
}

/** Where a bare name was written: its key under [vm.NAME] (["cdroms", 1], ["disk", 0, "path"]). */
export interface LibraryNameRef {
  at: ReadonlyArray<string | number>;
  name: string;
}

export interface NovaFileConfig {
  /** The NovaFile as named to the parser. */
  file: string;
  /** Absolute folder that relative paths were resolved from. */
  baseDir: string;
  project: string;
  domain?: string;
  vms: VmConfig[];
  /** From [container.*] and [capsule.*] alike, in that order. */
  capsules: CapsuleConfig[];
  networks: NetworkConfig[];
  snapshots?: SnapshotPolicy;
  /** [assets]: made before planning (src-main/core/assets/project-assets.ts). */
  assets?: { busyboxGuest?: string; busyboxImage?: string };
}

export function buildNovaFileConfig(doc: NovaFileDocument, file: string, baseDir: string): NovaFileConfig {
  const root = path.resolve(baseDir);
  const resolve = (p: string | undefined) => (p === undefined ? undefined : path.resolve(root, p));
  const entries = <T>(tables: Record<string, T> | undefined) => Object.entries(tables ?? {});
  return stripUndefined({
    file,
    baseDir: root,
    project: doc.project,
    domain: doc.domain,
    vms: entries(doc.vm).map(([name, vm]) => ({ ...vmConfig(name, vm, resolve, root), snapshots: mergeSnapshotPolicy(doc.snapshots, vm.snapshots) })),
    capsules: [...entries(doc.container), ...entries(doc.capsule)].map(([name, capsule]) => ({
      ...capsuleConfig(name, capsule, root),
      snapshots: mergeSnapshotPolicy(doc.snapshots, capsule.snapshots),
    })),
    networks: entries(doc.network).map(([name, net]) => networkConfig(name, net)),
    snapshots: doc.snapshots,
    assets: doc.assets && { busyboxGuest: resolve(doc.assets.busybox_guest), busyboxImage: doc.assets.busybox_image },
  });
}

/** `networks` (or `network`) as NICs; net0's MAC from `mac` when networks[0] gives none. */
function nicConfigs(vm: VmDocument): NicConfig[] | undefined {
  const nics: NicConfig[] | undefined = vm.networks ?? (vm.network !== undefined ? [{ network: vm.network }] : undefined);
  return nics?.map((n, i) => (i === 0 && vm.mac !== undefined ? { ...n, mac: vm.mac } : n));
}

function vmConfig(name: string, vm: VmDocument, resolve: (p: string | undefined) => string | undefined, root: string): VmConfig {
  const cloudInit = vm.cloud_init;
  return {
    name,
    ...libraryNamesOf(vm),
    image: resolve(vm.image),
    iso: resolve(vm.iso),
    kernel: resolve(vm.kernel),
    initrd: resolve(vm.initrd),
    cmdline: vm.cmdline,
    cpu: vm.cpu,
    memoryMiB: vm.memory,
    diskSizeMiB: vm.disk_size,
    machine: vm.machine,
    firmware: vm.firmware,
    os: vm.os,
    tpm: vm.tpm,
    secureBoot: vm.secure_boot,
    hyperv: vm.hyperv,
    accel: vm.accel,
    display: vm.display,
    network: vm.network ?? vm.networks?.[0]?.network,
    networks: vm.networks?.map((n) => n.network) ?? (vm.network !== undefined ? [vm.network] : undefined),
    nics: nicConfigs(vm),
    mac: vm.mac ?? vm.networks?.[0]?.mac,
    diskBus: vm.disk_bus,
    diskCache: vm.disk_cache,
    disks: vm.disk?.map((d) => ({ bus: d.bus ?? 'virtio', cache: d.cache ?? 'writeback', ...(d.size !== undefined ? { size: d.size } : {}), ...(d.path !== undefined ? { path: resolve(d.path) } : {}) })),
    driverIso: resolve(vm.driver_iso),
    cdroms: vm.cdroms?.map((p) => resolve(p) ?? p),
    bootOrder: vm.boot_order,
    guestAgent: vm.guest_agent,
    gpuPassthrough: vm.gpu_passthrough ?? { kind: 'off' },
    ...(vm.devices ? { pciDevices: vm.devices.pci, usb: vm.devices.usb } : {}),
    ...(vm.looking_glass ? { lookingGlass: vm.looking_glass } : {}),
    ...(vm.mdevs ? { mdevs: vm.mdevs } : {}),
    ...(vm.single_gpu !== undefined ? { singleGpu: vm.single_gpu } : {}),
    cloudInit: cloudInit && {
      user: cloudInit.user,
      password: cloudInit.password,
      sshAuthorizedKeys: cloudInit.ssh_authorized_keys ?? [],
      hostname: cloudInit.hostname,
    },
    dependsOn: vm.depends_on ?? [],
    health: vm.health,
    shares: vm.shares?.map((v) => resolveVolume(v, root)),
    autostart: vm.autostart ?? undefined,
    restart: vm.restart,
    host: vm.host,
  };
}

/** The VM's file values written as bare names, each with where it was written. */
function libraryNamesOf(vm: VmDocument): { libraryNames?: LibraryNameRef[] } {
  const written: Array<[LibraryNameRef['at'], string | undefined]> = [
    [['image'], vm.image],
    [['iso'], vm.iso],
    [['kernel'], vm.kernel],
    [['initrd'], vm.initrd],
    [['driver_iso'], vm.driver_iso],
    ...(vm.cdroms ?? []).map((c, i): [LibraryNameRef['at'], string] => [['cdroms', i], c]),
    ...(vm.disk ?? []).map((d, i): [LibraryNameRef['at'], string | undefined] => [['disk', i, 'path'], d.path]),
  ];
  const refs = written.flatMap(([at, value]) => (value !== undefined && !value.includes('/') ? [{ at, name: value }] : []));
  return refs.length > 0 ? { libraryNames: refs } : {};
}

function capsuleConfig(name: string, capsule: CapsuleDocument, root: string): CapsuleConfig {
  return {
    name,
    // The schema has checked the reference; its parts are what plan and apply print.
    image: valueOf(parseImageReference(capsule.capsule)),
    command: capsule.command,
    env: { ...capsule.env },
    volumes: (capsule.volumes ?? []).map((v) => resolveVolume(v, root)),
    network: capsule.network,
    ports: capsule.ports ?? [],
    cpu: capsule.cpu,
    memoryMiB: capsule.memory,
    pids: capsule.pids,
    restart: capsule.restart,
    workdir: capsule.workdir,
    user: capsule.user,
    gpus: capsule.gpus,
    autostart: capsule.autostart ?? undefined,
    dependsOn: capsule.depends_on ?? [],
    health: capsule.health,
    host: capsule.host,
  };
}

function networkConfig(name: string, net: NetworkDocument): NetworkConfig {
  const type = net.type ?? 'bridge';
  const range = net.dhcp_range;
  return {
    name,
    type,
    profile: defaultNetworkProfile({ type, profile: net.profile, uplinks: net.interfaces ?? [] }),
    subnet: net.subnet === undefined ? undefined : valueOf(parseSubnet(net.subnet)).subnet,
    dhcpRange: range,
    interfaces: net.interfaces ?? [],
    dns: net.dns,
    driver: net.driver,
    vni: net.vni,
    peers: net.peers ?? [],
    listenPort: net.listen_port,
    egressAllow: net.egress_allow ?? [],
    forwards: net.forwards ?? [],
  };
}

/** Drops undefined properties, so the config compares and serializes cleanly. */
function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => stripUndefined(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
    return out as T;
  }
  return value;
}
