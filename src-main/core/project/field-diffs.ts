// Per kind, the fields of a resource the NovaFile can state, compared between the file
// (its create spec with defaults) and what the helper reports, each as a person reads it.
// Only what the file states is compared: values the engine chooses (MACs, leases, pids,
// addresses, ports picked, a subnet the file leaves to the helper) are never a change.
import { firmwareOf, isWindows11 } from '../../../src-shared/vm-platform.js';
import { formatRestartPolicy, type Capsule, type PublishedPort, type Volume } from '../../../src-shared/capsule.js';
import { describeHealthCheck, type HealthCheck } from '../../../src-shared/health.js';
import type { FieldChange, ProjectResourceKind } from '../../../src-shared/project.js';
import type { Forward, Network } from '../../../src-shared/network.js';
import { MEBIBYTE, vmNetworkFromChoice, type VmInfo, type VmNetwork } from '../../../src-shared/vm.js';
import { cloudInitLooksSame } from '../novafile-apply.js';
import { fieldClass, type FieldOf } from './change-classes.js';
import type { DesiredCapsule, DesiredNetwork, DesiredVm } from './desired-state.js';
import { networkOwnForwards } from './network-forwards.js';
import { actualDevices, comparedDeviceFields, wantedDevices } from './vm-device-model.js';
import { actualPassthrough, VM_PASSTHROUGH_FIELDS, wantedPassthrough } from './vm-passthrough-model.js';
import { actualLifecycle, showAutostart, VM_LIFECYCLE_FIELDS, wantedLifecycle } from './vm-lifecycle-model.js';

type Shown = string | null;

class FieldList<K extends ProjectResourceKind> {
  readonly changes: FieldChange[] = [];
  constructor(
    private readonly kind: K,
    private readonly running: boolean,
  ) {}

  /** Records the field when the two sides, as shown, differ. */
  compare(field: FieldOf<K>, old: Shown, next: Shown, drift = false): void {
    if (old === next) return;
    this.changes.push({ field, old, new: next, class: fieldClass(this.kind, field, this.running), drift });
  }
}

const text = (v: string | number | boolean | null | undefined): Shown => (v === undefined || v === null ? null : String(v));
const mib = (v: number | undefined): Shown => (v === undefined ? null : `${v} MiB`);
const list = (items: readonly string[]): Shown => (items.length === 0 ? null : items.join(', '));
const showHealth = (check: HealthCheck | undefined): Shown => (check ? describeHealthCheck(check) : null);

function showVmNetwork(n: VmNetwork): string {
  return n.mode === 'nova' ? `nova:${n.network}` : n.mode;
}

/** Every NIC's network in order ("nova:lan, nova:storage"); "none" without NICs. */
function showVmNetworks(networks: readonly VmNetwork[]): string {
  return networks.length === 0 ? 'none' : networks.map(showVmNetwork).join(', ');
}

export function vmFieldChanges(d: DesiredVm, actual: VmInfo): FieldChange[] {
  const def = actual.definition;
  const spec = d.spec;
  const running = ['running', 'paused', 'starting', 'stopping'].includes(actual.state);
  const f = new FieldList('vm', running);
  if (actual.state !== 'running' && actual.state !== 'starting') f.compare('state', actual.state, 'running', true);
  f.compare('cpus', text(def.cpus), text(spec.cpus));
  f.compare('memory', mib(def.memoryMiB), mib(spec.memory));
  f.compare('accel', def.accel, spec.accel);
  f.compare('machine', def.machine, spec.machine);
  f.compare('firmware', def.firmware, firmwareOf(spec));
  // What the OS profile implies counts as asked for, so `os = "windows11"` alone shows no drift.
  f.compare('tpm', text(def.tpm === true), text(spec.tpm ?? isWindows11(spec.os)));
  f.compare('hyperv', text(def.hyperv === true), text(spec.hyperv ?? isWindows11(spec.os)));
  f.compare('kernel', text(def.kernel?.kernel), text(spec.kernel));
  if (def.kernel && spec.kernel !== undefined) {
    f.compare('initrd', text(def.kernel.initrd), text(spec.initrd));
    f.compare('cmdline', def.kernel.cmdline, spec.cmdline ?? '');
  }
  f.compare('iso', text(def.iso), text(spec.iso));
  const wantNets = spec.nics ? spec.nics.map((n) => vmNetworkFromChoice(n.network)) : [vmNetworkFromChoice(spec.network)].filter((n) => n.mode !== 'none');
  f.compare('network', showVmNetworks(def.nics.map((n) => n.network)), showVmNetworks(wantNets));
  // A microvm has no display whatever the spec says.
  if (def.machine !== 'microvm' && spec.machine !== 'microvm') {
    const have = def.display.vnc && def.display.spice ? 'both' : def.display.vnc ? 'vnc' : def.display.spice ? 'spice' : 'none';
    f.compare('display', have, spec.display);
  }
  if (!cloudInitLooksSame(d.config, def)) f.compare('cloud_init', def.cloudInit ? 'set' : null, d.config.cloudInit ? 'changed' : null);
  f.compare('health', showHealth(def.health), showHealth(spec.health));
  const want = wantedDevices(d.config, def.disks.length > 0);
  const have = actualDevices(def);
  for (const field of comparedDeviceFields(d.config)) f.compare(field, have[field], want[field]);
  const passWant = wantedPassthrough(d.config, def);
  const passHave = actualPassthrough(def);
  for (const field of VM_PASSTHROUGH_FIELDS) f.compare(field, passHave[field], passWant[field]);
  const wantLife = wantedLifecycle(d.config);
  const haveLife = actualLifecycle(def);
  for (const field of VM_LIFECYCLE_FIELDS) f.compare(field, haveLife[field], wantLife[field]);
  return f.changes;
}

const showPort = (p: PublishedPort) => `${p.hostPort}:${p.guestPort}/${p.protocol}`;
const showVolume = (v: Volume) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`;
const showEnv = (env: Record<string, string>) => list(Object.keys(env).sort().map((k) => `${k}=${env[k] ?? ''}`));
const showBytes = (bytes: number | undefined) => (bytes === undefined ? null : `${bytes / MEBIBYTE} MiB`);

export function capsuleFieldChanges(d: DesiredCapsule, actual: Capsule): FieldChange[] {
  const have = actual.spec;
  const want = d.spec;
  const running = ['running', 'paused', 'restarting'].includes(actual.state);
  const f = new FieldList('capsule', running);
  if (actual.state !== 'running' && actual.state !== 'restarting') f.compare('state', actual.state, 'running', true);
  f.compare('image', have.image, want.image);
  f.compare('command', text(have.command?.join(' ')), text(want.command?.join(' ')));
  f.compare('env', showEnv(have.env), showEnv(want.env));
  f.compare('volumes', list(have.volumes.map(showVolume)), list(want.volumes.map(showVolume)));
  f.compare('network', text(have.network), text(want.network));
  f.compare('ports', list(have.ports.map(showPort)), list(want.ports.map(showPort)));
  f.compare('cpus', text(have.cpus), text(want.cpus));
  f.compare('memory', showBytes(have.memoryBytes), showBytes(want.memoryBytes));
  f.compare('pids', text(have.pids), text(want.pids));
  f.compare('restart', formatRestartPolicy(have.restart), formatRestartPolicy(want.restart));
  f.compare('workdir', text(have.workdir), text(want.workdir));
  f.compare('user', text(have.user), text(want.user));
  f.compare('health', showHealth(have.health), showHealth(want.health));
  f.compare('autostart', showAutostart(have.autostart), showAutostart(want.autostart));
  return f.changes;
}

const showForward = (fw: Forward) => `${fw.hostPort}/${fw.protocol} -> ${fw.guestAddress}:${fw.guestPort}`;
const sortedList = (items: readonly string[]) => list([...items].sort());

export function networkFieldChanges(d: DesiredNetwork, actual: Network): FieldChange[] {
  const want = d.spec;
  const f = new FieldList('network', true);
  if (actual.status.state !== 'active') f.compare('status', `${actual.status.state}: ${actual.status.reasons.join('; ')}`, 'active', true);
  f.compare('type', actual.type, want.type);
  f.compare('profile', actual.profile, d.config.profile);
  // What the file leaves out (subnet, range, DNS, domain) is the helper's to choose.
  if (want.subnet !== undefined) {
    const prefix = actual.subnet?.split('/')[1];
    f.compare('subnet', actual.gateway && prefix ? `${actual.gateway}/${prefix}` : null, want.subnet);
  }
  if (want.dhcpRange !== undefined) {
    f.compare('dhcp_range', actual.dhcpRange ? `${actual.dhcpRange.start}-${actual.dhcpRange.end}` : null, `${want.dhcpRange.start}-${want.dhcpRange.end}`);
  }
  f.compare('interfaces', list(actual.uplinks), list(want.uplinks));
  if (want.dns !== undefined) f.compare('dns', String(actual.dns), String(want.dns));
  if (want.domain !== undefined) f.compare('domain', actual.domain, want.domain);
  if (want.driver !== undefined) f.compare('driver', actual.driver, want.driver);
  if (want.vni !== undefined) f.compare('vni', text(actual.vni), text(want.vni));
  if (want.listenPort !== undefined) f.compare('listen_port', text(actual.wireguard?.listenPort), text(want.listenPort));
  f.compare('egress_allow', actual.egressAllow ? JSON.stringify(actual.egressAllow) : null, want.egressAllow ? JSON.stringify(want.egressAllow) : null);
  f.compare('peers', sortedList(actual.peers.map((p) => JSON.stringify(p))), sortedList(want.peers.map((p) => JSON.stringify(p))));
  // A capsule's published ports are compared as its ports, not as the network's forwards.
  f.compare('forwards', sortedList(networkOwnForwards(actual).map(showForward)), sortedList(want.forwards.map(showForward)));
  return f.changes;
}
