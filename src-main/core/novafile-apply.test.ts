// The NovaFile -> helper mapping of `nova run`, against a fake helper that records
// calls: networks created only when missing, create vs update vs leave running, and
// refusals (GPU passthrough without IOMMU, KVM on a TCG host, an overlay driver the
// host lacks) that change nothing and name the NovaFile line.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../src-shared/errors.js';
import type { HostReport } from '../../src-shared/host.js';
import type { VmDefinition, VmInfo } from '../../src-shared/vm.js';
import { applyCapsule, applyVm, networkSpec, novaFileLocator, vmCreateSpec, type ApplyClient } from './novafile-apply.js';
import { parseNovaFile } from './novafile/novafile-parser.js';

const FILE = `project = "lab"

[network.lab]
subnet = "10.230.0.1/24"
dhcp_range = "10.230.0.100-10.230.0.150"

[vm.web]
kernel = "./vmlinux"
initrd = "./initrd"
cmdline = "console=ttyS0"
cpu = 2
memory = "512Mi"
accel = "tcg"
display = "none"
network = "lab"
cloud_init = { hostname = "web-1", user = "dev", password = "pw" }

[vm.gpu]
kernel = "./vmlinux"
gpu_passthrough = true

[vm.fast]
kernel = "./vmlinux"
accel = "kvm"

[network.far]
type = "overlay"
driver = "quic"
peers = ["192.0.2.2"]

[vm.over]
kernel = "./vmlinux"
network = "far"

[container.api]
capsule = "alpine:3.20"
command = ["sleep", "1000"]
memory = "64Mi"
restart = "on-failure:3"
`;

function config() {
  const r = parseNovaFile(FILE, 'NovaFile.toml', '/proj');
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

const HOST_TCG_NO_IOMMU: HostReport = {
  hostname: 'h', generatedAt: '', durationMs: 1, cached: true, accelerator: 'tcg', ociRuntime: 'runc',
  items: [
    { id: 'iommu', group: 'devices', label: 'IOMMU', status: 'warn', summary: 'No IOMMU groups: PCI passthrough unavailable', evidence: [], remedy: 'add intel_iommu=on or amd_iommu=on to the kernel command line' },
    { id: 'accelerator', group: 'virtualization', label: 'Accelerator', status: 'warn', summary: 'TCG: /dev/kvm hangs stock kernels here', evidence: [], remedy: null },
  ],
};

function vmInfo(def: Partial<VmDefinition>, state: VmInfo['state']): VmInfo {
  return {
    definition: {
      version: 2, name: 'web', osType: 'linux', cpus: 2, memoryMiB: 512, machine: 'q35', firmware: 'bios', accel: 'tcg', disks: [], iso: null,
      kernel: { kernel: '/proj/vmlinux', initrd: '/proj/initrd', cmdline: 'console=ttyS0' }, nics: [{ network: { mode: 'nova', network: 'lab' }, mac: null }],
      cloudInit: { hostname: 'web-1', user: 'dev', passwordHash: `$6$abc$${'x'.repeat(86)}`, sshAuthorizedKeys: [] },
      display: { vnc: false, spice: false }, template: false, description: '', createdAt: '', ...def,
    },
    state, stateReason: null, pid: state === 'running' ? 42 : null, accel: null, startedAt: null, health: null,
  };
}

function fakeHelper(answers: Record<string, (params: unknown) => unknown>) {
  const calls: Array<[string, unknown]> = [];
  const helper = {
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      const answer = answers[method];
      if (!answer) throw new Error(`unexpected call ${method}`);
      return answer(params);
    },
  } as unknown as ApplyClient;
  return { helper, calls, methods: () => calls.map(([m]) => m) };
}

const notFound = (what: string) => () => {
  throw new NovaError('not_found', `${what} does not exist`);
};

describe('applyVm', () => {
  it('creates the missing network, creates the VM and starts it', async () => {
    const f = fakeHelper({
      'network.get': notFound('network'),
      'network.create': () => ({}),
      'vm.get': notFound('VM'),
      'vm.create': () => vmInfo({}, 'stopped'),
      'vm.start': () => vmInfo({}, 'running'),
    });
    const report = await applyVm(config(), 'web', { helper: f.helper });
    expect(f.methods()).toEqual(['network.get', 'network.create', 'vm.get', 'vm.create', 'vm.start']);
    expect(f.calls[1]?.[1]).toEqual({
      name: 'lab', type: 'bridge', profile: 'nat', uplinks: [], peers: [], forwards: [],
      subnet: '10.230.0.1/24', dhcpRange: { start: '10.230.0.100', end: '10.230.0.150' }, project: 'lab',
    });
    expect(f.calls[3]?.[1]).toEqual({
      name: 'web', network: { nova: 'lab' }, cpus: 2, memory: 512, kernel: '/proj/vmlinux', initrd: '/proj/initrd',
      cmdline: 'console=ttyS0', accel: 'tcg', display: 'none',
      cloudInit: { sshAuthorizedKeys: [], hostname: 'web-1', user: 'dev', password: 'pw' }, project: 'lab',
    });
    expect(report.actions).toEqual(['network lab: created', 'vm web: created', 'vm web: started']);
  });

  it('keeps an existing network, updates a stopped VM whose settings changed, and starts it', async () => {
    const f = fakeHelper({
      'network.get': () => ({}),
      'vm.get': () => vmInfo({ cpus: 1, memoryMiB: 256 }, 'stopped'),
      'vm.update': () => vmInfo({}, 'stopped'),
      'vm.start': () => vmInfo({}, 'running'),
    });
    const report = await applyVm(config(), 'web', { helper: f.helper });
    expect(f.methods()).toEqual(['network.get', 'vm.get', 'vm.update', 'vm.start']);
    expect(f.calls[2]?.[1]).toEqual({ name: 'web', cpus: 2, memory: 512, cloudInit: { sshAuthorizedKeys: [], hostname: 'web-1', user: 'dev', password: 'pw' } });
    expect(report.notices).toEqual(['network lab: exists, left as it is']);
  });

  it('leaves a running VM that matches the file as it is', async () => {
    const f = fakeHelper({ 'network.get': () => ({}), 'vm.get': () => vmInfo({}, 'running') });
    const report = await applyVm(config(), 'web', { helper: f.helper });
    expect(f.methods()).toEqual(['network.get', 'vm.get']);
    expect(report.notices).toContain('vm web: already running');
  });

  it('says which changes wait for a stop when the VM runs with other settings', async () => {
    const f = fakeHelper({ 'network.get': () => ({}), 'vm.get': () => vmInfo({ cpus: 4 }, 'running') });
    const report = await applyVm(config(), 'web', { helper: f.helper });
    expect(report.notices).toContain("vm web: is running; stop it to apply the file's changes (cpus)");
  });

  it('refuses GPU passthrough without an IOMMU before changing anything, naming the line', async () => {
    const f = fakeHelper({ 'host.check': () => HOST_TCG_NO_IOMMU });
    const err = await applyVm(config(), 'gpu', { helper: f.helper, locate: novaFileLocator('NovaFile.toml', FILE) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unsupported' });
    expect((err as Error).message).toBe(
      'NovaFile.toml:20:1: vm gpu asks for GPU passthrough, which needs an IOMMU: No IOMMU groups: PCI passthrough unavailable; add intel_iommu=on or amd_iommu=on to the kernel command line',
    );
    expect(f.methods()).toEqual(['host.check']);
  });

  it('resolves gpu_passthrough = true to the one spare GPU, and refuses with the line when none qualifies', async () => {
    const withIommu = { ...HOST_TCG_NO_IOMMU, items: [{ ...HOST_TCG_NO_IOMMU.items[0]!, status: 'ok' as const }] };
    const gpu = (address: string, bootVga: boolean) => ({ address, classCode: '030000', vendorName: null, deviceName: null, physfn: null, bootVga, iommuGroup: 1, groupMembers: [] });
    const f = fakeHelper({
      'host.check': () => withIommu,
      'device.list': () => ({ pci: [gpu('0000:03:00.0', true), gpu('0000:01:00.0', false)] }),
      'vm.get': notFound('VM'),
      'vm.create': () => vmInfo({}, 'stopped'),
      'vm.start': () => vmInfo({}, 'running'),
    });
    await applyVm(config(), 'gpu', { helper: f.helper });
    expect(f.calls.find(([m]) => m === 'vm.create')?.[1]).toMatchObject({ name: 'gpu', devices: [{ address: '0000:01:00.0' }] });
    const only = fakeHelper({ 'host.check': () => withIommu, 'device.list': () => ({ pci: [gpu('0000:03:00.0', true)] }) });
    const err = await applyVm(config(), 'gpu', { helper: only.helper, locate: novaFileLocator('NovaFile.toml', FILE) }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^NovaFile\.toml:20:1: vm gpu asks for the spare GPU \(true\), but no GPU can be passed through: 0000:03:00\.0: it is the boot GPU the host display runs on; the only GPU drives the host display/);
    expect(only.methods()).toEqual(['host.check', 'device.list']);
  });

  it('refuses accel = "kvm" on a host that runs TCG', async () => {
    const f = fakeHelper({ 'host.check': () => HOST_TCG_NO_IOMMU });
    await expect(applyVm(config(), 'fast', { helper: f.helper, locate: novaFileLocator('NovaFile.toml', FILE) })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/^NovaFile\.toml:24:1: vm fast asks for accel = "kvm", but this host cannot use KVM \(TCG: .*\); use accel = "auto" or "tcg"$/),
    });
  });

  it("passes the network engine's refusal of an overlay driver on with the network's line", async () => {
    const f = fakeHelper({
      'network.get': notFound('network'),
      'network.create': () => {
        throw new NovaError('unsupported', 'overlay driver "quic" is not available on this host; available: vxlan');
      },
    });
    await expect(applyVm(config(), 'over', { helper: f.helper, locate: novaFileLocator('NovaFile.toml', FILE) })).rejects.toMatchObject({
      code: 'unsupported',
      message: 'NovaFile.toml:26:10: network far: overlay driver "quic" is not available on this host; available: vxlan',
    });
    expect(f.methods()).toEqual(['network.get', 'network.create']);
  });

  it('names the VMs a file has when asked for another', async () => {
    const f = fakeHelper({});
    await expect(applyVm(config(), 'nope', { helper: f.helper })).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('web, gpu, fast, over') });
  });

  it('maps a VM without network to no NIC', () => {
    expect(vmCreateSpec({ name: 'x', gpuPassthrough: { kind: 'off' }, dependsOn: [] })).toEqual({ name: 'x', network: 'none' });
    expect(vmCreateSpec({ name: 'x', gpuPassthrough: { kind: 'devices', addresses: ['0000:01:00.0'] }, dependsOn: [] }).devices).toEqual([{ address: '0000:01:00.0' }]);
  });
});

describe('applyCapsule', () => {
  it('pulls a missing image, creates and starts the capsule', async () => {
    const f = fakeHelper({
      'capsule.get': notFound('capsule'),
      'ociImage.inspect': notFound('image'),
      'ociImage.pull': () => ({}),
      'capsule.create': () => ({ state: 'created' }),
      'capsule.start': () => ({ state: 'running' }),
    });
    const report = await applyCapsule(config(), 'api', { helper: f.helper });
    expect(f.methods()).toEqual(['capsule.get', 'ociImage.inspect', 'ociImage.pull', 'capsule.create', 'capsule.start']);
    expect(f.calls[2]?.[1]).toEqual({ reference: 'alpine:3.20' });
    expect(f.calls[3]?.[1]).toEqual({
      name: 'api', image: 'alpine:3.20', env: {}, volumes: [], command: ['sleep', '1000'], memoryBytes: 64 * 1024 * 1024,
      restart: { mode: 'on-failure', maxRetries: 3 }, project: 'lab',
    });
    expect(report.actions).toEqual(['image alpine:3.20: pulled', 'container api: created', 'container api: started']);
  });

  it('creates the capsule\'s missing network and passes its network and published ports', async () => {
    const text = 'project = "x"\n\n[capsule.api]\ncapsule = "alpine"\nnetwork = "lan"\nports = ["8080:80", "5353:53/udp"]\n[network.lan]\nsubnet = "10.9.0.1/24"\n';
    const cfg = parseNovaFile(text, 'NovaFile.toml', '/p').config!;
    const f = fakeHelper({
      'network.get': notFound('network'),
      'network.create': () => ({}),
      'capsule.get': notFound('capsule'),
      'ociImage.inspect': () => ({}),
      'capsule.create': () => ({ state: 'created' }),
      'capsule.start': () => ({ state: 'running' }),
    });
    const report = await applyCapsule(cfg, 'api', { helper: f.helper });
    expect(f.methods()).toEqual(['network.get', 'network.create', 'capsule.get', 'ociImage.inspect', 'capsule.create', 'capsule.start']);
    expect(f.calls[4]?.[1]).toMatchObject({
      name: 'api',
      network: 'lan',
      ports: [
        { hostPort: 8080, guestPort: 80, protocol: 'tcp' },
        { hostPort: 5353, guestPort: 53, protocol: 'udp' },
      ],
    });
    expect(report.actions).toEqual(['network lan: created', 'container api: created', 'container api: started']);
  });

  it('refuses published ports without a network, with the line of its ports key, before any call', async () => {
    const text = 'project = "x"\n\n[capsule.api]\ncapsule = "alpine"\nports = ["8080:80"]\n';
    const cfg = parseNovaFile(text, 'NovaFile.toml', '/p').config!;
    const f = fakeHelper({});
    await expect(applyCapsule(cfg, 'api', { helper: f.helper, locate: novaFileLocator('NovaFile.toml', text) })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/^NovaFile\.toml:5:1: capsule api publishes ports but joins no network/),
    });
    expect(f.calls).toEqual([]);
  });

  it('passes a wireguard overlay\'s keyed peers and listen port to network.create', () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const text = `project = "x"\n[network.wg]\ntype = "overlay"\ndriver = "wireguard"\nvni = 4343\nlisten_port = 51900\npeers = ["${key}@192.0.2.2:51820"]\n`;
    const r = parseNovaFile(text, 'NovaFile.toml', '/p');
    expect(r.diagnostics).toEqual([]);
    expect(networkSpec(r.config!.networks[0]!)).toEqual({
      name: 'wg', type: 'overlay', profile: 'internal', uplinks: [], driver: 'wireguard', vni: 4343, listenPort: 51900,
      peers: [{ host: '192.0.2.2', port: 51820, publicKey: key }], forwards: [],
    });
  });
});
