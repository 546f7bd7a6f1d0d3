// The one table of what a change to each field of a resource costs, decided from what
// the engine can do today: vm.update rewrites a stopped VM's definition (so a running VM
// restarts for it); a capsule's config.json, cgroup limits and network join are rebuilt
// at each start from its record, while its image is its writable layer's base; a
// network's forwards and peers are edited live, everything else is fixed at create. A
// health check alone is swapped on a running guest by vm.update and capsule.update.
import type { FieldChange, ProjectResourceKind } from '../../../src-shared/project.js';

export type FieldClass = FieldChange['class'];

export const FIELD_CLASSES = {
  vm: {
    /** A stopped, crashed or paused guest is started or resumed. */
    state: 'update',
    cpus: 'restart',
    memory: 'restart',
    accel: 'restart',
    cmdline: 'restart',
    network: 'restart',
    display: 'restart',
    cloud_init: 'restart',
    machine: 'replace',
    firmware: 'replace',
    /** vm.update changes a stopped VM's TPM and Hyper-V (the NovaFile's apply sends neither yet). */
    tpm: 'replace',
    hyperv: 'replace',
    /** The device model: vm.update changes each on a stopped VM. */
    mac: 'restart',
    nics: 'restart',
    disk_bus: 'restart',
    disk_cache: 'restart',
    disks: 'restart',
    cdroms: 'restart',
    boot_order: 'restart',
    /** Passed devices: vm.update changes each on a stopped VM (USB even live, but plan restarts for it with the rest). */
    devices: 'restart',
    mdevs: 'restart',
    looking_glass: 'restart',
    single_gpu: 'restart',
    /** vm.update has no guest agent switch: the VM is made again. */
    guest_agent: 'replace',
    kernel: 'replace',
    initrd: 'replace',
    iso: 'replace',
    /** vm.update swaps a running VM's health monitor in place. */
    health: 'update',
    /** vm.update keeps a running VM's new shares for its next start. */
    shares: 'restart',
    /** The helper's own bookkeeping, taken by vm.update while the VM runs. */
    autostart: 'update',
    restart: 'update',
  },
  capsule: {
    state: 'update',
    command: 'restart',
    env: 'restart',
    volumes: 'restart',
    network: 'restart',
    ports: 'restart',
    cpus: 'restart',
    memory: 'restart',
    pids: 'restart',
    restart: 'restart',
    workdir: 'restart',
    user: 'restart',
    /** capsule.update swaps a running capsule's health monitor in place. */
    health: 'update',
    /** Read by the helper only when the host boots: capsule.update takes it while the capsule runs. */
    autostart: 'update',
    image: 'replace',
  },
  network: {
    /** The helper's recovery puts back a missing bridge, rules or dnsmasq. */
    status: 'update',
    forwards: 'update',
    peers: 'update',
    type: 'replace',
    profile: 'replace',
    subnet: 'replace',
    dhcp_range: 'replace',
    interfaces: 'replace',
    dns: 'replace',
    domain: 'replace',
    driver: 'replace',
    vni: 'replace',
    listen_port: 'replace',
    egress_allow: 'replace',
  },
} as const satisfies Record<ProjectResourceKind, Record<string, FieldClass>>;

export type FieldOf<K extends ProjectResourceKind> = keyof (typeof FIELD_CLASSES)[K] & string;

/**
 * The class of a field's change on a resource that is (or is not) running: a change that
 * needs a restart is made in place when the guest is not running, since nothing stops.
 */
export function fieldClass<K extends ProjectResourceKind>(kind: K, field: FieldOf<K>, running: boolean): FieldClass {
  const cls = (FIELD_CLASSES[kind] as Record<string, FieldClass>)[field] ?? 'replace';
  return cls === 'restart' && !running ? 'update' : cls;
}
