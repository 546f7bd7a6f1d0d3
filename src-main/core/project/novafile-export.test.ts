// The reverse mapping: resources as the helper reports them, written as a NovaFile in its
// own syntaxes, read back by the parser and planned against the same resources: no change.
// Every key the NovaFile has for a network, a VM and a capsule is exercised.
import { describe, expect, it } from 'vitest';
import { CapsuleSpecSchema, type Capsule, type CapsuleSpecIn } from '../../../src-shared/capsule.js';
import type { Network } from '../../../src-shared/network.js';
import { VmDefinitionSchema, type VmInfo } from '../../../src-shared/vm.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import type { ActualState } from './actual-state.js';
import { desiredState } from './desired-state.js';
import { exportNovaFile, selectForExport, type ExportPolicies } from './novafile-export.js';
import { planProject } from './project-plan.js';
import { vmUpdateSpec } from '../novafile-apply.js';

function network(over: Partial<Network>): Network {
  return {
    name: 'lan', type: 'bridge', profile: 'nat', bridge: 'lan', subnet: '10.77.0.0/24', gateway: '10.77.0.1', dhcpRange: { start: '10.77.0.100', end: '10.77.0.199' },
    uplinks: [], dns: true, domain: 'lan.lab.example', driver: null, vni: null, peers: [], egressAllow: null, forwards: [],
    attachments: [{ resource: 'db', kind: 'veth', hostIfname: 'nva9', mac: '02:aa:bb:cc:dd:ee', address: '10.77.0.23', netns: 'db', guestIfname: 'eth0', hostname: 'db.lan.nova', present: true }],
    status: { state: 'active', reasons: [] }, createdAt: 'T', project: 'lab', ...over,
  };
}

function capsule(spec: CapsuleSpecIn): Capsule {
  const s = CapsuleSpecSchema.parse(spec);
  return {
    name: s.name, spec: s, imageId: 'sha256:1', imageName: s.image, state: 'running', runtime: 'runc', rootfsMode: 'overlay', pid: 77, createdAt: 'T', startedAt: 'T',
    lastExit: null, restartCount: 0, network: { name: 'lan', address: '10.77.0.23/24', hostname: 'db.lan.nova', hostIfname: 'nva1' }, userNamespace: null, health: null,
  };
}

function vm(def: Record<string, unknown>): VmInfo {
  return {
    definition: VmDefinitionSchema.parse({
      version: 2, osType: 'linux', cpus: 1, memoryMiB: 512, machine: 'q35', firmware: 'bios', accel: 'auto', disks: [], iso: null, kernel: null,
      nics: [], display: { vnc: true, spice: false }, template: false, description: '', createdAt: 'T', ...def,
    }),
    state: 'running', stateReason: null, pid: 4242, accel: 'tcg', startedAt: 'T', health: null,
  };
}

const actual: ActualState = {
  networks: [
    network({ egressAllow: [{ destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' }, { destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' }], forwards: [{ hostPort: 8080, protocol: 'tcp', guestAddress: '10.77.0.10', guestPort: 80 }, { hostPort: 5432, protocol: 'tcp', guestAddress: '10.77.0.23', guestPort: 5432 }], dns: false }),
    network({ name: 'ov', type: 'overlay', profile: 'internal', bridge: 'ov', subnet: '10.78.0.0/24', gateway: '10.78.0.1', dhcpRange: null, domain: 'ov.lab.example', driver: 'vxlan', vni: 42, peers: [{ host: '192.0.2.10', port: 4789 }], attachments: [] }),
  ],
  vms: [
    vm({
      name: 'app', project: 'lab', cpus: 2, memoryMiB: 256, accel: 'tcg', display: { vnc: false, spice: false },
      kernel: { kernel: '/boot/vmlinux', initrd: '/boot/initrd', cmdline: 'console=ttyS0' }, iso: '/isos/tools.iso',
      disks: [{ id: 'disk0', path: '/srv/disks/app.qcow2', format: 'qcow2', owned: false }],
      nics: [{ network: { mode: 'nova', network: 'lan' }, mac: null }],
      cloudInit: { user: 'dev', hostname: 'app-1', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6y me@host'] },
      health: { probe: { kind: 'serial', pattern: 'login:' }, intervalMs: 2000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 },
      shares: [{ tag: 'share0', source: '/srv/src', target: '/mnt/src', readOnly: true, via: 'virtiofs' }, { tag: 'share2', source: '/srv/out', target: '/mnt/out', readOnly: false }],
      autostart: { order: 2, delaySeconds: 15, uid: 1000, gid: 1000 },
      restart: 'on-crash',
    }),
  ],
  capsules: [
    capsule({
      name: 'db', image: 'postgres:16', project: 'lab', command: ['postgres', '-c', 'fsync=off'], env: { POSTGRES_PASSWORD: 'secret "quoted"', PGDATA: '/var/lib/pg' },
      volumes: ['/srv/pg:/var/lib/pg', '/etc/pg.conf:/etc/pg.conf:ro'], network: 'lan', ports: ['5432:5432', '5353:53/udp'], cpus: 0.5, memory: '64Mi', pids: 200,
      restart: 'on-failure:3', workdir: '/srv', user: '999:999',
      health: { probe: { kind: 'exec', command: ['pg_isready'] }, intervalMs: 1500, timeoutMs: 5000, retries: 5, startPeriodMs: 10000 },
    }),
    capsule({ name: 'web', image: 'nginx:1.27', project: 'lab', network: 'ov', autostart: {}, health: { probe: { kind: 'http', port: 8080, path: '/healthz', status: 204 }, intervalMs: 10000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 } }),
  ],
};

const policies: ExportPolicies = {
  vm: new Map([['app', { schedule: 'daily 02:00', keep: { daily: 7, weekly: 4, monthly: 2, maxTotal: 20 }, beforeUp: true, keepForever: ['baseline'] }]]),
  capsule: new Map([['db', { schedule: 'hourly', keep: { hourly: 24 }, keepForever: [] }]]),
};

function roundTrip(text: string, state: ActualState = actual) {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p');
  expect(diagnostics).toEqual([]);
  if (!config) throw new Error('no config');
  return { config, plan: planProject(desiredState(config), state) };
}

describe('nova export', () => {
  it("writes every field in the NovaFile's own syntax", () => {
    const text = exportNovaFile(selectForExport(actual, [], 'lab'), policies, new Date('2026-12-06T10:00:00Z'));
    expect(text).toContain('project = "lab"\ndomain = "lab.example"\n');
    expect(text).toContain(`[network.lan]
subnet = "10.77.0.1/24"
dhcp_range = "10.77.0.100-10.77.0.199"
dns = false
egress_allow = [ "10.0.0.0/8:443/tcp", "53/udp" ]
forwards = [ "8080:10.77.0.10:80" ]
`);
    expect(text).toContain(`[network.ov]
type = "overlay"
subnet = "10.78.0.1/24"
driver = "vxlan"
vni = 42
peers = [ "192.0.2.10:4789" ]
`);
    expect(text).toContain(`[vm.app]
image = "/srv/disks/app.qcow2"
iso = "/isos/tools.iso"
kernel = "/boot/vmlinux"
initrd = "/boot/initrd"
cmdline = "console=ttyS0"
cpu = 2
memory = "256Mi"
accel = "tcg"
display = "none"
network = "lan"
shares = [ "/srv/src:/mnt/src:ro", "/srv/out:/mnt/out" ]
restart = "on-crash"
`);
    expect(text).toContain('[vm.app.autostart]\norder = 2\ndelay = "15s"\n');
    expect(text).toContain('[vm.app.health]\nserial = "login:"\ninterval = "2s"\n');
    expect(text).toContain('[vm.app.snapshots]\nschedule = "daily 02:00"\nkeep_daily = 7\nkeep_weekly = 4\nkeep_monthly = 2\nmax_total = 20\nbefore_up = true\nkeep_forever = [ "baseline" ]\n');
    expect(text).toContain(`[capsule.db]
capsule = "postgres:16"
command = [ "postgres", "-c", "fsync=off" ]
volumes = [ "/srv/pg:/var/lib/pg", "/etc/pg.conf:/etc/pg.conf:ro" ]
network = "lan"
ports = [ "5432:5432", "5353:53/udp" ]
cpu = 0.5
memory = "64Mi"
pids = 200
restart = "on-failure:3"
workdir = "/srv"
user = "999:999"
`);
    expect(text).toContain('[capsule.db.env]\nPOSTGRES_PASSWORD = "secret \\"quoted\\""\nPGDATA = "/var/lib/pg"\n');
    expect(text).toContain('[capsule.db.health]\nexec = [ "pg_isready" ]\ninterval = "1s500ms"\nretries = 5\nstart_period = "10s"\n');
    expect(text).toMatch(/\[capsule\.web\]\ncapsule = "nginx:1\.27"\nnetwork = "ov"\nautostart = true\n/);
    expect(text).toContain('[capsule.web.health.http]\nport = 8080\npath = "/healthz"\nstatus = 204\n');
    // Values the engine chose are not written.
    expect(text).not.toMatch(/02:aa:bb|10\.77\.0\.23|4242|nva9/);
  });

  it('reads back as the same resources: plan shows no change, and the same health checks and policies', () => {
    const { config, plan } = roundTrip(exportNovaFile(selectForExport(actual, [], 'lab'), policies));
    expect(plan.changes).toEqual([]);
    expect(plan.clashes).toEqual([]);
    expect(plan.unchanged).toHaveLength(5);
    expect(config.capsules.find((c) => c.name === 'db')?.health).toEqual(actual.capsules[0]?.spec.health);
    expect(config.capsules.find((c) => c.name === 'web')?.health).toEqual(actual.capsules[1]?.spec.health);
    expect(config.vms[0]?.health).toEqual(actual.vms[0]?.definition.health);
    expect(config.vms[0]).toMatchObject({ shares: [{ source: '/srv/src', target: '/mnt/src', readOnly: true }, { source: '/srv/out', target: '/mnt/out', readOnly: false }], autostart: { order: 2, delaySeconds: 15 }, restart: 'on-crash' });
    expect(config.capsules.find((c) => c.name === 'web')?.autostart).toEqual({ order: 0, delaySeconds: 0 });
    expect(config.vms[0]?.snapshots).toEqual({ schedule: { every: 'day', hour: 2, minute: 0 }, keep: { daily: 7, weekly: 4, monthly: 2, maxTotal: 20 }, beforeUp: true, keepForever: ['baseline'] });
  });

  it('exports named resources with the networks their guests join, and refuses to mix projects', () => {
    const sel = selectForExport(actual, ['db'], undefined);
    expect([sel.project, sel.networks.map((n) => n.name), sel.capsules.map((c) => c.name), sel.vms]).toEqual(['lab', ['lan'], ['db'], []]);
    const mixed: ActualState = { ...actual, capsules: [...actual.capsules, capsule({ name: 'other', image: 'x', project: 'else' })] };
    expect(() => selectForExport(mixed, ['db', 'other'], undefined)).toThrow(/capsule other \(project else\) belong to another project than lab/);
    expect(() => selectForExport(actual, ['nope'], undefined)).toThrow(/no VM, capsule or network named nope/);
  });

  it('names unmanaged resources and needs --project for them; plan sees them as clashes until adopted', () => {
    const loose: ActualState = { networks: [], vms: [], capsules: [capsule({ name: 'solo', image: 'alpine:3.20', command: ['sleep', '1d'] })] };
    expect(() => selectForExport(loose, ['solo'], undefined)).toThrow(/belong to no project: name the project the file is for with --project P/);
    const sel = selectForExport(loose, ['solo'], 'adopted');
    expect(sel.unmanaged).toEqual([{ kind: 'capsule', name: 'solo' }]);
    const text = exportNovaFile(sel, { vm: new Map(), capsule: new Map() });
    expect(roundTrip(text, loose).plan.clashes.map((c) => c.name)).toEqual(['solo']);
    const adopted: ActualState = { ...loose, capsules: [capsule({ name: 'solo', image: 'alpine:3.20', command: ['sleep', '1d'], project: 'adopted' })] };
    expect(roundTrip(text, adopted).plan.changes).toEqual([]);
  });

  it('writes interfaces, a wireguard port and peers, UEFI firmware and a microvm, and reads them back as no change', () => {
    const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const state: ActualState = {
      networks: [
        network({ name: 'ext', profile: 'external', uplinks: ['veth-up'], subnet: null, gateway: null, dhcpRange: null, domain: 'ext.nova', attachments: [] }),
        network({
          name: 'wg', type: 'overlay', profile: 'internal', subnet: '10.79.0.0/24', gateway: '10.79.0.1', dhcpRange: null, domain: 'wg.nova', driver: 'wireguard', vni: 7,
          peers: [{ host: '192.0.2.20', port: 51821, publicKey: KEY }], wireguard: { publicKey: KEY, listenPort: 51822, interface: 'nvw7', tunnelAddress: 'fd00::1' }, attachments: [],
        }),
      ],
      vms: [
        vm({ name: 'uefi', project: 'lab', firmware: 'uefi', machine: 'q35', display: { vnc: true, spice: true } }),
        vm({ name: 'micro', project: 'lab', machine: 'microvm', kernel: { kernel: '/boot/vmlinux', initrd: null, cmdline: '' }, display: { vnc: false, spice: false } }),
      ],
      capsules: [],
    };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain('[network.ext]\ninterfaces = [ "veth-up" ]\n');
    expect(text).toContain(`driver = "wireguard"\nvni = 7\npeers = [ "${KEY}@192.0.2.20:51821" ]\nlisten_port = 51822\n`);
    expect(text).toContain('[vm.uefi]\ncpu = 1\nmemory = "512Mi"\nfirmware = "uefi"\ndisplay = "both"\n');
    expect(text).toContain('[vm.micro]\nkernel = "/boot/vmlinux"\ncpu = 1\nmemory = "512Mi"\nmachine = "microvm"\n');
    expect(text).not.toContain('domain =');
    expect(roundTrip(text, state).plan.changes).toEqual([]);
  });

  it('writes the device model (MAC, disk buses, further disks, CDs, boot order, guest agent) and reads it back as no change', () => {
    const disk = (id: string, extra: Record<string, unknown> = {}) => ({ id, path: `/var/lib/nova/vms/win/${id}.qcow2`, format: 'qcow2', owned: true, ...extra });
    const win = vm({
      name: 'win', project: 'lab', os: 'windows11', osType: 'windows', firmware: 'uefi-secure', tpm: true, hyperv: true, cpus: 2, memoryMiB: 4096, iso: '/isos/win11.iso',
      disks: [disk('disk0', { bus: 'sata', cache: 'none' }), disk('disk1', { bus: 'scsi' }), { id: 'disk2', path: '/srv/data.raw', format: 'raw', owned: false, readOnly: false }],
      cdroms: [{ id: 'cd1', path: '/isos/virtio-win.iso' }, { id: 'cd2', path: '/isos/tools.iso' }],
      bootOrder: ['disk0', 'cd0'], nics: [{ network: { mode: 'nova', network: 'lan' }, mac: '52:54:00:12:34:56', model: 'e1000e' }], tablet: true, guestAgent: true,
    });
    const state: ActualState = { networks: [network({ project: 'lab' })], vms: [{ ...win, state: 'stopped', pid: null }], capsules: [] };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain(`os = "windows11"
display = "vnc"
network = "lan"
mac = "52:54:00:12:34:56"
disk_cache = "none"
cdroms = [ "/isos/virtio-win.iso", "/isos/tools.iso" ]
boot_order = [ "disk0", "cd0" ]
`);
    expect(text).toContain('[[vm.win.disk]]\npath = "/var/lib/nova/vms/win/disk1.qcow2"\nbus = "scsi"\n\n[[vm.win.disk]]\npath = "/srv/data.raw"\n');
    const { config, plan } = roundTrip(text, state);
    expect(plan.changes.filter((c) => c.fields.some((f) => f.field !== 'state'))).toEqual([]);
    expect(config.vms[0]).toMatchObject({ mac: '52:54:00:12:34:56', diskCache: 'none', cdroms: ['/isos/virtio-win.iso', '/isos/tools.iso'], bootOrder: ['disk0', 'cd0'] });

    // Each changed key is its own field, classed as vm.update can apply it to a stopped VM.
    const edited = text.replace('bus = "scsi"', 'bus = "sata"').replace('mac = "52:54:00:12:34:56"', 'mac = "52:54:00:12:34:57"').replace('boot_order = [ "disk0", "cd0" ]', 'guest_agent = false');
    const fields = roundTrip(edited, state).plan.changes.flatMap((c) => c.fields.filter((f) => f.field !== 'state').map((f) => [f.field, f.class]));
    expect(fields).toEqual([['mac', 'update'], ['disks', 'update'], ['boot_order', 'update'], ['guest_agent', 'replace']]);
  });

  it('writes passed devices (PCI, USB, mdevs, Looking Glass, single-GPU mode) and reads them back as no change; an edit plans the vm.update that makes it', () => {
    const gpu = vm({
      name: 'gpu', project: 'lab', firmware: 'uefi', memoryMiB: 8192, singleGpu: true,
      devices: [{ address: '0000:03:00.0', policy: 'restore' }, { address: '0000:05:00.0', policy: 'keep' }],
      usb: ['usb:046d:c52b', 'usb:tablet'], mdevs: [{ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' }], lookingGlass: { resolution: '2560x1440' },
    });
    const state: ActualState = { networks: [], vms: [{ ...gpu, state: 'stopped', pid: null }], capsules: [] };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain('devices = [ "0000:03:00.0", "0000:05:00.0", "usb:046d:c52b", "usb:tablet" ]\nsingle_gpu = true\n\n[[vm.gpu.mdevs]]\nparent = "0000:00:02.0"\ntype = "i915-GVTg_V5_4"\n');
    expect(text).toContain('[vm.gpu.looking_glass]\nresolution = "2560x1440"\n');
    expect(text).toContain('# vm gpu: 0000:05:00.0: the device\'s policy (keep) or ROM file has no NovaFile key');
    const { config, plan } = roundTrip(text, state);
    expect(plan.changes.filter((c) => c.fields.some((f) => f.field !== 'state'))).toEqual([]);

    const edited = text
      .replace('"0000:05:00.0", "usb:046d:c52b", "usb:tablet"', '"0000:06:00.0", "usb:tablet", "usb:1-1.2"')
      .replace('type = "i915-GVTg_V5_4"', 'type = "i915-GVTg_V5_8"')
      .replace('single_gpu = true\n', '')
      .replace('resolution = "2560x1440"', 'resolution = "1920x1080"');
    const again = roundTrip(edited, state);
    const fields = again.plan.changes.flatMap((c) => c.fields.filter((f) => f.field !== 'state').map((f) => [f.field, f.old, f.new]));
    expect(fields).toEqual([
      ['devices', '0000:03:00.0, 0000:05:00.0, usb:046d:c52b, usb:tablet', '0000:03:00.0, 0000:06:00.0, usb:1-1.2, usb:tablet'],
      ['mdevs', 'mdev:0000:00:02.0:i915-GVTg_V5_4', 'mdev:0000:00:02.0:i915-GVTg_V5_8'],
      ['looking_glass', '2560x1440', '1920x1080'],
      ['single_gpu', 'true', 'false'],
    ]);
    expect(vmUpdateSpec(again.config.vms[0]!, gpu.definition)).toEqual({
      name: 'gpu',
      singleGpu: false,
      devices: [
        { op: 'pci.remove', address: '0000:05:00.0' },
        { op: 'pci.add', device: { address: '0000:06:00.0' } },
        { op: 'usb.remove', device: 'usb:046d:c52b' },
        { op: 'usb.add', device: 'usb:1-1.2' },
        { op: 'mdev.remove', mdev: { parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' } },
        { op: 'mdev.add', mdev: { parent: '0000:00:02.0', type: 'i915-GVTg_V5_8' } },
        { op: 'lookingGlass.set', resolution: '1920x1080' },
      ],
    });
    expect(config.vms[0]).toMatchObject({ singleGpu: true, pciDevices: ['0000:03:00.0', '0000:05:00.0'] });
  });

  it('says in a comment what the NovaFile cannot hold', () => {
    const odd = vm({ name: 'odd', project: 'lab', disks: [{ id: 'disk0', path: '/var/lib/nova/vms/odd/disk0.qcow2', format: 'qcow2', owned: true }], nics: [{ network: { mode: 'user' }, mac: null }] });
    const text = exportNovaFile(selectForExport({ networks: [], vms: [odd], capsules: [] }, ['odd'], undefined), { vm: new Map(), capsule: new Map() });
    expect(text).toContain("# vm odd: disk0 (/var/lib/nova/vms/odd/disk0.qcow2) was made by Nova in the VM's folder: the NovaFile does not describe it");
    expect(text).toContain('# vm odd: its user-mode NIC has no NovaFile key');
  });

  it('writes several NICs as networks = [...] and reads them back as no change; a changed list plans NIC changes', () => {
    const two = vm({ name: 'router', project: 'lab', nics: [{ network: { mode: 'nova', network: 'lan' }, mac: null }, { network: { mode: 'nova', network: 'ov' }, mac: null }] });
    const nets = actual.networks;
    const state: ActualState = { networks: nets, vms: [{ ...two, state: 'stopped', pid: null }], capsules: [] };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain('networks = [ "lan", "ov" ]\n');
    expect(text).not.toMatch(/^network = /m);
    const { config, plan } = roundTrip(text, state);
    expect(config.vms[0]).toMatchObject({ network: 'lan', networks: ['lan', 'ov'] });
    expect(plan.changes.filter((c) => c.fields.some((f) => f.field !== 'state'))).toEqual([]);
    const fields = roundTrip(text.replace('networks = [ "lan", "ov" ]', 'networks = [ "ov" ]'), state).plan.changes.flatMap((c) => c.fields.filter((f) => f.field === 'network'));
    expect(fields).toMatchObject([{ field: 'network', old: 'nova:lan, nova:ov', new: 'nova:ov' }]);
    const update = vmUpdateSpec(roundTrip(text.replace('networks = [ "lan", "ov" ]', 'networks = [ "ov", "lan", "ov" ]'), state).config.vms[0]!, two.definition);
    expect(update?.devices).toEqual([{ op: 'nic.set', index: 0, network: { nova: 'ov' } }, { op: 'nic.set', index: 1, network: { nova: 'lan' } }, { op: 'nic.add', network: { nova: 'ov' } }]);
  });

  it('writes a NIC with its own MAC or a model as a table, plans a changed MAC or model as a NIC change, and reads it back as no change', () => {
    const two = vm({
      name: 'router',
      project: 'lab',
      nics: [
        { network: { mode: 'nova', network: 'lan' }, mac: null },
        { network: { mode: 'nova', network: 'ov' }, mac: '52:54:00:aa:00:02', model: 'e1000e' },
      ],
    });
    const state: ActualState = { networks: actual.networks, vms: [{ ...two, state: 'stopped', pid: null }], capsules: [] };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain('networks = [ "lan", { network = "ov", mac = "52:54:00:aa:00:02", model = "e1000e" } ]\n');
    const { config, plan } = roundTrip(text, state);
    expect(config.vms[0]?.nics).toEqual([{ network: 'lan' }, { network: 'ov', mac: '52:54:00:aa:00:02', model: 'e1000e' }]);
    expect(plan.changes.filter((c) => c.fields.some((f) => f.field !== 'state'))).toEqual([]);

    const changed = text.replace('mac = "52:54:00:aa:00:02", model = "e1000e"', 'mac = "52:54:00:aa:00:03"');
    const fields = roundTrip(changed, state).plan.changes.flatMap((c) => c.fields.filter((f) => f.field === 'nics'));
    expect(fields).toMatchObject([{ field: 'nics', old: 'net1 52:54:00:aa:00:02 e1000e', new: 'net1 52:54:00:aa:00:03' }]);
    const update = vmUpdateSpec(roundTrip(changed, state).config.vms[0]!, two.definition);
    expect(update?.devices).toEqual([{ op: 'nic.set', index: 1, mac: '52:54:00:aa:00:03', model: 'virtio' }]);
  });

  it("writes plain names when every NIC has Nova's MAC and its OS profile's model", () => {
    const win = vm({ name: 'desk', project: 'lab', os: 'windows11', nics: [{ network: { mode: 'nova', network: 'lan' }, mac: null, model: 'e1000e' }] });
    const state: ActualState = { networks: actual.networks, vms: [{ ...win, state: 'stopped', pid: null }], capsules: [] };
    const text = exportNovaFile(selectForExport(state, [], 'lab'), { vm: new Map(), capsule: new Map() });
    expect(text).toContain('network = "lan"\n');
    expect(text).not.toContain('model');
  });
});
