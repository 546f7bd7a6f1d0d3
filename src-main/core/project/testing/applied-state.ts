// What the helper would report right after an up of a NovaFile's desired state, engine-chosen
// values (MACs, leases, pids, addresses) filled in: the planner's and write-back's tests
// start from it and change one thing.
import { firmwareOf } from '../../../../src-shared/vm-platform.js';
import type { Capsule } from '../../../../src-shared/capsule.js';
import type { Network } from '../../../../src-shared/network.js';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { nicsFromNetwork, vmNetworkFromChoice } from '../../../../src-shared/vm.js';
import { nicFromSpec } from '../../../../src-shared/vm-devices.js';
import type { ActualState } from '../actual-state.js';
import type { DesiredState } from '../desired-state.js';

/** What the helper reports once the file has been applied: engine-chosen values filled in. */
export function appliedState(d: DesiredState): ActualState {
  const networks: Network[] = d.networks.map(({ spec }) => ({
    name: spec.name, type: spec.type, profile: spec.profile ?? 'nat', bridge: spec.name,
    subnet: spec.subnet ?? null, gateway: spec.subnet?.split('/')[0] ?? null, dhcpRange: { start: '10.77.0.100', end: '10.77.0.200' },
    uplinks: spec.uplinks, dns: true, domain: `${spec.name}.nova`, driver: null, vni: null, peers: spec.peers,
    egressAllow: spec.egressAllow ?? null, forwards: spec.forwards,
    attachments: [{ resource: 'db', kind: 'veth', hostIfname: 'nva9', mac: '02:aa:bb:cc:dd:ee', address: null, netns: 'db', guestIfname: 'eth0', hostname: 'db.lan.nova', present: true }],
    status: { state: 'active', reasons: [] }, createdAt: 'T', project: spec.project ?? null,
  }));
  const vms: VmInfo[] = d.vms.map(({ spec, config }) => ({
    definition: {
      version: 2, name: spec.name, osType: spec.osType, cpus: spec.cpus, memoryMiB: spec.memory, machine: spec.machine, firmware: firmwareOf(spec),
      accel: spec.accel, disks: [], iso: null, kernel: spec.kernel ? { kernel: spec.kernel, initrd: spec.initrd ?? null, cmdline: spec.cmdline ?? '' } : null,
      nics: spec.nics ? spec.nics.map((n) => nicFromSpec(n)) : nicsFromNetwork(vmNetworkFromChoice(spec.network), spec.nicMac ?? null), cloudInit: null, display: { vnc: false, spice: false }, template: false, description: '', createdAt: 'T',
      ...(spec.project ? { project: spec.project } : {}),
      ...(spec.health ? { health: spec.health } : {}),
      // vm.update after the create: the helper tags each share and picks what carries it.
      ...(config.shares?.length ? { shares: config.shares.map((s, i) => ({ tag: `share${i}`, source: s.source, target: s.target, readOnly: s.readOnly, via: 'virtiofs' as const })) } : {}),
      ...(config.autostart ? { autostart: config.autostart } : {}),
      ...(config.restart ? { restart: config.restart } : {}),
    },
    state: 'running', stateReason: null, pid: 4242, accel: 'tcg', startedAt: 'T', health: null,
  }));
  const capsules: Capsule[] = d.capsules.map(({ spec }) => ({
    name: spec.name, spec, imageId: 'sha256:1', imageName: spec.image, state: 'running', runtime: 'runc', rootfsMode: 'overlay', pid: 77,
    createdAt: 'T', startedAt: 'T', lastExit: null, restartCount: 0,
    network: { name: 'lan', address: '10.77.0.23/24', hostname: `${spec.name}.lan.nova`, hostIfname: 'nva1' }, userNamespace: null, health: null,
  }));
  return { networks, vms, capsules };
}
