// The reverse of the NovaFile: one resource as the helper reports it, written back as its
// table, in the NovaFile's own key names and syntaxes (sizes "512Mi", ports "8080:80",
// forwards, volumes, durations). Only what a person chose is written: values the engine
// picked (MACs, leases, addresses handed out, pids) and keys at their defaults are left
// out. What the NovaFile cannot say is returned as a note for a comment above the table.
import { novaNetworksOf } from '../../../src-shared/vm-devices.js';
import { resolvePlatform } from '../../../src-shared/vm-platform.js';
import { CapsuleSpecSchema, formatRestartPolicy, type Capsule } from '../../../src-shared/capsule.js';
import type { HealthCheck } from '../../../src-shared/health.js';
import { HEALTH_DEFAULTS } from '../../../src-shared/health.js';
import { defaultNetworkProfile, type Network } from '../../../src-shared/network.js';
import type { SnapshotPolicySpec } from '../../../src-shared/snapshot-policy.js';
import { MEBIBYTE, VmCreateSpecSchema, type VmInfo } from '../../../src-shared/vm.js';
import { networkOwnForwards } from './network-forwards.js';
import { deviceKeys, networksKey } from './vm-device-model.js';
import { passthroughKeys } from './vm-passthrough-model.js';
import { autostartValue, lifecycleKeys } from './vm-lifecycle-model.js';
import { formatDuration, formatEgressRule, formatForward, formatPeer, formatPortMapping, formatSize } from '../../../src-shared/vocabulary/index.js';

export type Table = Record<string, unknown>;

export interface ExportedTable {
  table: Table;
  /** What the file cannot hold, each a line for a comment. */
  notes: string[];
}

function healthTable(h: HealthCheck): Table {
  const t: Table = {};
  const p = h.probe;
  if (p.kind === 'exec') t.exec = p.command;
  if (p.kind === 'tcp') t.tcp = p.port;
  if (p.kind === 'http') t.http = { port: p.port, ...(p.path !== '/' ? { path: p.path } : {}), ...(p.status !== 200 ? { status: p.status } : {}) };
  if (p.kind === 'serial') t.serial = p.pattern;
  if (h.intervalMs !== HEALTH_DEFAULTS.intervalMs) t.interval = formatDuration(h.intervalMs);
  if (h.timeoutMs !== HEALTH_DEFAULTS.timeoutMs) t.timeout = formatDuration(h.timeoutMs);
  if (h.retries !== HEALTH_DEFAULTS.retries) t.retries = h.retries;
  if (h.startPeriodMs !== HEALTH_DEFAULTS.startPeriodMs) t.start_period = formatDuration(h.startPeriodMs);
  return t;
}

/** A guest's policy as its own `snapshots` keys (the NovaFile's [snapshots] names). */
export function snapshotsTable(p: SnapshotPolicySpec): Table {
  const t: Table = {};
  if (p.schedule !== undefined) t.schedule = p.schedule;
  if (p.keep.hourly !== undefined) t.keep_hourly = p.keep.hourly;
  if (p.keep.daily !== undefined) t.keep_daily = p.keep.daily;
  if (p.keep.weekly !== undefined) t.keep_weekly = p.keep.weekly;
  if (p.keep.monthly !== undefined) t.keep_monthly = p.keep.monthly;
  if (p.keep.maxTotal !== undefined) t.max_total = p.keep.maxTotal;
  if (p.beforeUp !== undefined) t.before_up = p.beforeUp;
  if (p.keepForever.length > 0) t.keep_forever = p.keepForever;
  return t;
}

export function networkTable(n: Network): ExportedTable {
  const t: Table = {};
  const notes: string[] = [];
  if (n.type !== 'bridge') t.type = n.type;
  if (n.profile !== defaultNetworkProfile({ type: n.type, uplinks: n.uplinks })) t.profile = n.profile;
  const prefix = n.subnet?.split('/')[1];
  if (n.gateway && prefix) t.subnet = `${n.gateway}/${prefix}`;
  if (n.dhcpRange) t.dhcp_range = `${n.dhcpRange.start}-${n.dhcpRange.end}`;
  if (n.uplinks.length > 0) t.interfaces = n.uplinks;
  if (!n.dns) t.dns = false;
  if (n.driver !== null) t.driver = n.driver;
  if (n.vni !== null) t.vni = n.vni;
  if (n.peers.length > 0) t.peers = n.peers.map(formatPeer);
  if (n.wireguard?.listenPort !== undefined) t.listen_port = n.wireguard.listenPort;
  if (n.egressAllow !== null) t.egress_allow = n.egressAllow.map(formatEgressRule);
  const forwards = networkOwnForwards(n);
  if (forwards.length > 0) t.forwards = forwards.map(formatForward);
  return { table: t, notes };
}

function displayOf(d: VmInfo['definition']['display']): 'both' | 'vnc' | 'spice' | 'none' {
  return d.vnc && d.spice ? 'both' : d.vnc ? 'vnc' : d.spice ? 'spice' : 'none';
}

export function vmTable(vm: VmInfo, policy: SnapshotPolicySpec | null): ExportedTable {
  const def = vm.definition;
  const defaults = VmCreateSpecSchema.parse({ name: def.name, ...(def.machine === 'microvm' ? { machine: 'microvm' } : {}) });
  const t: Table = {};
  const notes: string[] = [];
  const boot = def.disks[0];
  if (boot && !boot.owned) t.image = boot.path;
  if (boot?.owned) notes.push(`${boot.id} (${boot.path}) was made by Nova in the VM's folder: the NovaFile does not describe it, so a VM made from this file starts without it`);
  for (const d of def.disks.slice(1).filter((x) => x.owned)) {
    notes.push(`${d.id} is Nova's file in the VM's folder, written as its path: for a new VM elsewhere, give size = "..." instead`);
  }
  if (def.iso !== null) t.iso = def.iso;
  if (def.kernel) {
    t.kernel = def.kernel.kernel;
    if (def.kernel.initrd !== null) t.initrd = def.kernel.initrd;
    if (def.kernel.cmdline !== '') t.cmdline = def.kernel.cmdline;
  }
  t.cpu = def.cpus;
  t.memory = formatSize(def.memoryMiB);
  if (def.machine !== defaults.machine || def.machine === 'microvm') t.machine = def.machine;
  if (def.os !== undefined) t.os = def.os;
  // What the OS profile implies is left to it; what differs is written out.
  const implied = resolveQuietly(def.os);
  if (def.firmware !== implied.firmware) t.firmware = def.firmware;
  if ((def.tpm === true) !== implied.tpm) t.tpm = def.tpm === true;
  if ((def.hyperv === true) !== implied.hyperv) t.hyperv = def.hyperv === true;
  if (def.accel !== defaults.accel) t.accel = def.accel;
  if (def.machine !== 'microvm') t.display = displayOf(def.display);
  const nova = novaNetworksOf(def);
  const nets = def.nics.flatMap((n) => (n.network.mode === 'nova' ? [n.network.network] : []));
  Object.assign(t, networksKey(def));
  if (nets.length < def.nics.length) notes.push(`its user-mode NIC has no NovaFile key: a VM made from this file has ${nova.length === 0 ? 'no network' : 'only its Nova networks'}`);
  const ci = def.cloudInit;
  if (ci) {
    const c: Table = {};
    if (ci.user) c.user = ci.user;
    if (ci.hostname) c.hostname = ci.hostname;
    if (ci.sshAuthorizedKeys.length > 0) c.ssh_authorized_keys = ci.sshAuthorizedKeys;
    if (ci.passwordHash !== undefined) notes.push('cloud_init: the password is stored only as a hash; add password = "..." by hand');
    t.cloud_init = c;
  }
  Object.assign(t, deviceKeys(def));
  const passed = passthroughKeys(def);
  Object.assign(t, passed.keys);
  notes.push(...passed.notes);
  if (def.health) t.health = healthTable(def.health);
  Object.assign(t, lifecycleKeys(def));
  if (policy) t.snapshots = snapshotsTable(policy);
  return { table: t, notes };
}

export function capsuleTable(c: Capsule, policy: SnapshotPolicySpec | null): ExportedTable {
  const s = c.spec;
  const defaults = CapsuleSpecSchema.parse({ name: s.name, image: s.image });
  const t: Table = { capsule: s.image };
  const notes: string[] = [];
  if (s.command) t.command = s.command;
  if (Object.keys(s.env).length > 0) t.env = s.env;
  if (s.volumes.length > 0) t.volumes = s.volumes.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`);
  if (s.network !== undefined) t.network = s.network;
  if (s.ports.length > 0) t.ports = s.ports.map(formatPortMapping);
  if (s.cpus !== undefined) t.cpu = s.cpus;
  if (s.memoryBytes !== undefined) {
    if (s.memoryBytes % MEBIBYTE === 0) t.memory = formatSize(s.memoryBytes / MEBIBYTE);
    else notes.push(`memory: ${s.memoryBytes} bytes is not a whole number of MiB, as the NovaFile writes it`);
  }
  if (s.pids !== undefined) t.pids = s.pids;
  if (formatRestartPolicy(s.restart) !== formatRestartPolicy(defaults.restart)) t.restart = formatRestartPolicy(s.restart);
  if (s.workdir !== undefined) t.workdir = s.workdir;
  if (s.user !== undefined) t.user = s.user;
  const unsaid: string[] = (['entrypoint', 'hostname', 'ioWeight', 'runtime', 'userNamespace', 'address'] as const).filter((k) => s[k] !== undefined);
  if (s.stopTimeoutSec !== defaults.stopTimeoutSec) unsaid.push('stopTimeoutSec');
  if (unsaid.length > 0) notes.push(`${unsaid.join(', ')}: set on the capsule, but the NovaFile has no key for ${unsaid.length === 1 ? 'it' : 'them'}`);
  if (s.health) t.health = healthTable(s.health);
  if (s.autostart) t.autostart = autostartValue(s.autostart);
  if (policy) t.snapshots = snapshotsTable(policy);
  return { table: t, notes };
}

/** The platform an OS profile gives (bios, no TPM, no Hyper-V without one). */
function resolveQuietly(os: string | undefined): { firmware: string; tpm: boolean; hyperv: boolean } {
  return resolvePlatform(os === undefined ? {} : { os });
}
