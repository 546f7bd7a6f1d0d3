// Golden tests for the QEMU command line, as Proxmox's cfg2cmd tests: each case is a
// definition overlay in golden/NAME.json and its exact argv, one argument per line, in
// golden/NAME.cmd. UPDATE_GOLDEN=1 rewrites the .cmd files; review their diff by eye.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmDefinitionSchema, type VmDefinition } from '../../../src-shared/vm.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { buildQemuArgv, FIRST_PASSED_FD, passedFiles, qemuArgvIsVm, qemuEscape, type QemuLaunchSpec } from './qemu-argv.js';

const GOLDEN = join(import.meta.dirname, 'golden');

const BASE_DEF: VmDefinition = sampleVmDefinition();

interface GoldenCase {
  def: Partial<VmDefinition>;
  accel?: 'kvm' | 'tcg';
  vncWebsocketPort?: number | null;
  ovmfCode?: string | null;
  taps?: QemuLaunchSpec['taps'];
  cloudInitSeed?: string | null;
  backing?: QemuLaunchSpec['backing'];
  bootOrder?: string[];
  cpuOff?: string[];
}

function specFor(c: GoldenCase): QemuLaunchSpec {
  const def = VmDefinitionSchema.parse({ ...BASE_DEF, ...c.def });
  const run = `/run/nova/vms/${def.name}`;
  return {
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    def,
    accel: c.accel ?? 'tcg',
    vncWebsocketPort: c.vncWebsocketPort ?? null,
    ovmfCode: c.ovmfCode ?? null,
    taps: c.taps ?? [],
    cloudInitSeed: c.cloudInitSeed ?? null,
    ...(c.backing ? { backing: c.backing } : {}),
    ...(c.bootOrder ? { bootOrder: c.bootOrder } : {}),
    ...(c.cpuOff ? { cpuOff: c.cpuOff } : {}),
    virtiofsSockets: Object.fromEntries((def.shares ?? []).filter((s) => s.via === 'virtiofs').map((s) => [s.tag, `${run}/fs-${s.tag}.sock`])),
    paths: {
      qmpSocket: `${run}/qmp.sock`,
      serialSocket: `${run}/serial.sock`,
      serialLog: `/var/lib/nova/vms/${def.name}/serial.log`,
      pidFile: `${run}/qemu.pid`,
      vncSocket: `${run}/vnc.sock`,
      spiceSocket: `${run}/spice.sock`,
      uefiVars: `/var/lib/nova/vms/${def.name}/OVMF_VARS.fd`,
      tpmSocket: `/run/nova/vms/${def.name}/swtpm.sock`,
      guestAgentSocket: `/run/nova/vms/${def.name}/qga.sock`,
    },
  };
}

const cases = readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

describe('buildQemuArgv golden command lines', () => {
  it('has at least a dozen cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, () => {
      const c = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as GoldenCase;
      const argv = buildQemuArgv(specFor(c));
      const cmdPath = join(GOLDEN, `${name}.cmd`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(cmdPath, argv.join('\n') + '\n');
      const expected = readFileSync(cmdPath, 'utf8').trimEnd().split('\n');
      expect(argv).toEqual(expected);
    });
  }
});

describe('buildQemuArgv invariants', () => {
  it('always names the VM in the process name, so recovery can recognise it', () => {
    const argv = buildQemuArgv(specFor({ def: { name: 'abc-1' } }));
    expect(argv).toContain('guest=abc-1,process=nova-vm-abc-1,debug-threads=on');
  });

  it('is recognised as its VM only by name and pidfile together: a VM of that name under another helper, or another name, is not it', () => {
    const spec = specFor({ def: { name: 'abc-1' } });
    const argv = buildQemuArgv(spec);
    expect(qemuArgvIsVm(argv, 'abc-1', spec.paths.pidFile)).toBe(true);
    expect(qemuArgvIsVm(argv, 'abc-1', '/elsewhere/abc-1/qemu.pid')).toBe(false);
    expect(qemuArgvIsVm(argv, 'abc', spec.paths.pidFile)).toBe(false);
    expect(qemuArgvIsVm(buildQemuArgv(specFor({ def: { name: 'abc-10' } })), 'abc-1', spec.paths.pidFile)).toBe(false);
  });

  it('holds the guest CPUs until `cont` only when asked (the launcher asks, raw benchmark runs do not)', () => {
    expect(buildQemuArgv({ ...specFor({ def: {} }), paused: true })).toContain('-S');
    expect(buildQemuArgv(specFor({ def: {} }))).not.toContain('-S');
  });

  it('gives each shared folder a 9p server the guest mounts by its tag, read-only ones enforced by QEMU', () => {
    const shares = [
      { tag: 'share0', source: '/home/u/src,x', target: '/mnt/src', readOnly: true },
      { tag: 'share2', source: '/srv/data', target: '/data', readOnly: false },
    ];
    const argv = buildQemuArgv(specFor({ def: { shares } }));
    const from = argv.indexOf('-fsdev');
    expect(argv.slice(from, from + 8)).toEqual([
      '-fsdev', 'local,id=fs-share0,path=/home/u/src,,x,security_model=none,readonly=on',
      '-device', 'virtio-9p-pci,fsdev=fs-share0,mount_tag=share0',
      '-fsdev', 'local,id=fs-share2,path=/srv/data,security_model=none',
      '-device', 'virtio-9p-pci,fsdev=fs-share2,mount_tag=share2',
    ]);
    expect(buildQemuArgv(specFor({ def: { shares, machine: 'microvm', kernel: { kernel: '/k', initrd: null, cmdline: '' } } }))).toContain('virtio-9p-device,fsdev=fs-share0,mount_tag=share0');
    expect(buildQemuArgv(specFor({ def: {} }))).not.toContain('-fsdev');
  });

  it('carries a virtiofs share over vhost-user to its virtiofsd, with the guest RAM shareable, and refuses one on microvm', () => {
    const shares = [{ tag: 'share0', source: '/home/u/src', target: '/mnt/src', readOnly: true, via: 'virtiofs' as const }];
    const argv = buildQemuArgv(specFor({ def: { shares, memoryMiB: 512 } }));
    expect(argv[argv.indexOf('-machine') + 1]).toBe('q35,memory-backend=ram');
    expect(argv).toContain('memory-backend-memfd,id=ram,size=512M,share=on');
    expect(argv).toContain('vhost-user-fs-pci,chardev=vfs-share0,tag=share0');
    // The folder itself is the daemon's business: QEMU never names it.
    expect(argv.join(' ')).not.toContain('/home/u/src');
    expect(buildQemuArgv(specFor({ def: {} }))).not.toContain('memory-backend-memfd,id=ram,size=512M,share=on');
    expect(() => buildQemuArgv(specFor({ def: { shares, machine: 'microvm', kernel: { kernel: '/k', initrd: null, cmdline: '' } } }))).toThrow(/microvm/);
  });

  it('waits for the saved state over QMP only when resuming a suspended VM', () => {
    const argv = buildQemuArgv({ ...specFor({ def: {} }), paused: true, incoming: true });
    expect(argv.slice(argv.indexOf('-incoming'), argv.indexOf('-incoming') + 2)).toEqual(['-incoming', 'defer']);
    expect(buildQemuArgv({ ...specFor({ def: {} }), paused: true })).not.toContain('-incoming');
  });

  it('refuses UEFI without an OVMF image rather than booting BIOS silently', () => {
    expect(() => buildQemuArgv(specFor({ def: { firmware: 'uefi' } }))).toThrow(/OVMF/);
  });

  it('refuses a Nova network without its tap, rather than starting without a NIC', () => {
    expect(() => buildQemuArgv(specFor({ def: { nics: [{ network: { mode: 'nova', network: 'lab' }, mac: null }] } }))).toThrow(/no tap/);
  });

  it('refuses cloud-init without its seed ISO', () => {
    expect(() => buildQemuArgv(specFor({ def: { cloudInit: { sshAuthorizedKeys: [] } } }))).toThrow(/seed/);
  });

  it('writes out every disk to the end of its chain: qcow2 nodes name their backing, the last one null', () => {
    const argv = buildQemuArgv(
      specFor({
        def: { disks: [{ id: 'disk0', path: '/v/top.qcow2', format: 'qcow2', owned: true, readOnly: false }] },
        backing: { disk0: [{ path: '/i/mid.qcow2', format: 'qcow2' }, { path: '/i/base.raw', format: 'raw' }] },
      }),
    );
    const nodes = argv.filter((_, i) => argv[i - 1] === '-blockdev' && argv[i]!.startsWith('{')).map((a) => JSON.parse(a) as Record<string, unknown>);
    const formats = nodes.filter((n) => n.driver !== 'file');
    expect(formats.map((n) => [n['node-name'], n.backing])).toEqual([
      ['disk0-b2', undefined],
      ['disk0-b1', 'disk0-b2'],
      ['disk0', 'disk0-b1'],
    ]);
    // Only the top is writable.
    expect(nodes.filter((n) => n['read-only'] !== true).map((n) => n['node-name'])).toEqual(['disk0-file', 'disk0']);
    const alone = buildQemuArgv(specFor({ def: { disks: [{ id: 'disk0', path: '/v/a.qcow2', format: 'qcow2', owned: true, readOnly: false }] } }));
    expect(alone).toContain('{"driver":"qcow2","node-name":"disk0","file":"disk0-file","backing":null}');
  });

  it('names no disk, ISO, kernel or initrd path: each block file reads its own fd set, the kernel and initrd their own descriptors, in passedFiles order', () => {
    const c = JSON.parse(readFileSync(join(GOLDEN, 'q35-linked-overlay-chain.json'), 'utf8')) as GoldenCase;
    const kernel = { kernel: '/boot/vmlinux', initrd: '/boot/initrd.cpio', cmdline: 'console=ttyS0' };
    const spec = specFor({ ...c, def: { ...c.def, iso: '/isos/tools.iso', kernel } });
    const argv = buildQemuArgv(spec);
    const paths = [...spec.def.disks.map((d) => d.path), ...Object.values(spec.backing ?? {}).flatMap((b) => b.map((f) => f.path)), '/isos/tools.iso', kernel.kernel, kernel.initrd];
    for (const p of paths) expect(argv.filter((a) => a.includes(p))).toEqual([]);
    const passed = passedFiles(spec.def, spec.backing);
    expect(passed.map((p) => [p.node, p.readOnly])).toEqual([
      ['disk0-file', false],
      ['disk0-b1-file', true],
      ['disk0-b2-file', true],
      ['disk1-file', true],
      ['cd0-file', true],
      ['kernel', true],
      ['initrd', true],
    ]);
    const addFd = argv.filter((_, i) => argv[i - 1] === '-add-fd');
    expect(addFd).toEqual(passed.slice(0, 5).map((p, i) => `fd=${FIRST_PASSED_FD + i},set=${i + 1},opaque=${p.node}`));
    expect([argv[argv.indexOf('-kernel') + 1], argv[argv.indexOf('-initrd') + 1]]).toEqual([`/proc/self/fd/${FIRST_PASSED_FD + 5}`, `/proc/self/fd/${FIRST_PASSED_FD + 6}`]);
    // Each file node reads the set holding its own descriptor, and is read-only exactly when that descriptor is.
    const fileNodes = argv.filter((_, i) => argv[i - 1] === '-blockdev').map((a) => (a.startsWith('{') ? (JSON.parse(a) as Record<string, unknown>) : Object.fromEntries(a.split(',').map((kv) => kv.split('=')))));
    for (const [i, p] of passed.slice(0, 5).entries()) {
      const node = fileNodes.find((n) => n['node-name'] === p.node)!;
      expect({ node: p.node, filename: node.filename, ro: node['read-only'] === true || node['read-only'] === 'on' }).toEqual({ node: p.node, filename: `/dev/fdset/${i + 1}`, ro: p.readOnly });
    }
  });

  it('refuses a backing file under a raw disk, which QEMU could not honour', () => {
    const spec = specFor({ def: { disks: [{ id: 'disk0', path: '/v/a.raw', format: 'raw', owned: false, readOnly: false }] }, backing: { disk0: [{ path: '/b.raw', format: 'raw' }] } });
    expect(() => buildQemuArgv(spec)).toThrow(/cannot have a backing file/);
  });

  it('never drops a writable disk\'s flushes (cache=unsafe) unless its definition chose a cache mode: a guest\'s fsync reaches the disk', () => {
    for (const name of cases) {
      const c = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as GoldenCase;
      if (c.def.disks?.some((d) => d.cache !== undefined)) continue;
      const argv = buildQemuArgv(specFor(c));
      expect({ name, unsafe: argv.filter((a) => /cache=unsafe|no-flush|"cache"/.test(a)) }).toEqual({ name, unsafe: [] });
      const drives = argv.filter((_, i) => argv[i - 1] === '-drive');
      expect({ name, drives }).toEqual({ name, drives: [] });
    }
  });

  it('doubles commas in paths so a path cannot inject options', () => {
    expect(qemuEscape('/a,b/c,,d')).toBe('/a,,b/c,,,,d');
  });
});
