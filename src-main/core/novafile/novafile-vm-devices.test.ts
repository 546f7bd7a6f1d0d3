// The device model's NovaFile keys: each bad value is reported at its own line and column
// with what to write instead, and good ones reach the VM's create spec.
import { describe, expect, it } from 'vitest';
import { vmCreateSpec } from '../novafile-apply.js';
import { formatNovaFileDiagnostic, parseNovaFile, validateNovaFile } from './novafile-parser.js';

const head = 'project = "x"\n[vm.a]\n';
const NETS = '[network.lan]\n[network.san]\n';

const CASES: Array<{ name: string; toml: string; line: number; column: number; key: string; message: string }> = [
  { name: 'a MAC that is not one', toml: `${head}mac = "52:54:00:12:34"\n`, line: 3, column: 7, key: 'vm.a.mac', message: '52:54:00:12:34' },
  { name: 'a MAC without a NIC', toml: `${head}mac = "52:54:00:12:34:56"\n`, line: 3, column: 1, key: 'vm.a.mac', message: 'set network (or networks) too' },
  { name: 'network and networks both', toml: `${head}network = "lan"\nnetworks = ["lan"]\n[network.lan]\n`, line: 4, column: 1, key: 'vm.a.networks', message: 'not both' },
  { name: 'a NIC table without its network', toml: `${head}networks = ["lan", { mac = "52:54:00:aa:00:02" }]\n${NETS}`, line: 3, column: 20, key: 'vm.a.networks[1].network', message: 'required key is missing; expected the name of a network' },
  { name: 'a NIC model QEMU is not given', toml: `${head}networks = ["lan", { network = "san", model = "rtl8139" }]\n${NETS}`, line: 3, column: 47, key: 'vm.a.networks[1].model', message: '"rtl8139" is not a NIC model; use "virtio" or "e1000e"' },
  { name: 'a NIC MAC that is not one', toml: `${head}networks = [{ network = "san", mac = "52:54:00" }]\n`, line: 3, column: 38, key: 'vm.a.networks[0].mac', message: '52:54:00' },
  { name: 'two NICs with one MAC', toml: `${head}networks = [{ network = "lan", mac = "52:54:00:aa:00:02" }, { network = "san", mac = "52:54:00:AA:00:02" }]\n${NETS}`, line: 3, column: 86, key: 'vm.a.networks[1].mac', message: '52:54:00:aa:00:02 is the MAC of an earlier NIC too; each NIC needs its own' },
  { name: 'mac and networks[0] both give net0 a MAC', toml: `${head}mac = "52:54:00:aa:00:01"\nnetworks = [{ network = "lan", mac = "52:54:00:aa:00:02" }]\n${NETS}`, line: 3, column: 1, key: 'vm.a.mac', message: 'give it once' },
  { name: 'mac again on a later NIC', toml: `${head}mac = "52:54:00:aa:00:01"\nnetworks = ["lan", { network = "san", mac = "52:54:00:aa:00:01" }]\n${NETS}`, line: 4, column: 45, key: 'vm.a.networks[1].mac', message: "is the first NIC's MAC (mac) too" },
  { name: 'a key a NIC does not have', toml: `${head}networks = [{ network = "lan", speed = 10 }]\n${NETS}`, line: 3, column: 32, key: 'vm.a.networks[0].speed', message: 'unknown key "speed"; a NIC takes network, mac and model' },
  { name: 'a NIC that is a number', toml: `${head}networks = [7]\n`, line: 3, column: 13, key: 'vm.a.networks[0]', message: 'expected a network name, or a table such as { network = "storage"' },
  { name: 'a disk bus QEMU has not', toml: `${head}disk_bus = "ide"\n`, line: 3, column: 12, key: 'vm.a.disk_bus', message: '"ide" is not a disk bus; use "virtio", "sata" or "scsi"' },
  { name: 'a cache mode that is not one', toml: `${head}disk_cache = "fast"\n`, line: 3, column: 14, key: 'vm.a.disk_cache', message: '"fast" is not a cache mode' },
  { name: 'a further disk without size or path', toml: `${head}[[vm.a.disk]]\nbus = "sata"\n`, line: 3, column: 1, key: 'vm.a.disk[0]', message: 'give the new disk a size (e.g. size = "20Gi"), or the path of an existing one' },
  { name: 'a further disk with both size and path', toml: `${head}[[vm.a.disk]]\nsize = "1Gi"\npath = "./d.qcow2"\n`, line: 3, column: 1, key: 'vm.a.disk[0]', message: 'not both' },
  { name: 'a further disk with a bad bus', toml: `${head}[[vm.a.disk]]\nsize = "1Gi"\nbus = "usb"\n`, line: 5, column: 7, key: 'vm.a.disk[0].bus', message: '"usb" is not a disk bus' },
  { name: 'a key a disk does not have', toml: `${head}[[vm.a.disk]]\nsize = "1Gi"\nformat = "raw"\n`, line: 5, column: 1, key: 'vm.a.disk[0].format', message: 'unknown key "format" in a VM\'s [[vm.NAME.disk]]; valid keys are size, path, bus, cache' },
  { name: 'four further CDs', toml: `${head}cdroms = ["a.iso", "b.iso", "c.iso", "d.iso"]\n`, line: 3, column: 10, key: 'vm.a.cdroms', message: 'at most 3 further CD drives' },
  { name: 'three CDs beside a driver ISO', toml: `${head}driver_iso = "v.iso"\ncdroms = ["a.iso", "b.iso", "c.iso"]\n`, line: 4, column: 1, key: 'vm.a.cdroms', message: 'driver_iso takes cd1: at most 2 further ISOs fit' },
  { name: 'a boot device that is not one', toml: `${head}boot_order = ["disk0", "floppy"]\n`, line: 3, column: 24, key: 'vm.a.boot_order[1]', message: 'a boot device such as "disk0"' },
  { name: 'a boot device the VM lacks', toml: `${head}iso = "i.iso"\nboot_order = ["cd1", "disk0"]\n`, line: 4, column: 15, key: 'vm.a.boot_order[0]', message: 'the VM has no cd1; it has disk0, net0, cd0' },
  { name: 'an mdev parent that is no PCI address', toml: `${head}mdevs = [{ parent = "gpu0", type = "i915-GVTg_V5_4" }]\n`, line: 3, column: 21, key: 'vm.a.mdevs[0].parent', message: '"gpu0" is not a PCI address' },
  { name: 'an mdev type with a space', toml: `${head}mdevs = [{ parent = "00:02.0", type = "GVT g" }]\n`, line: 3, column: 39, key: 'vm.a.mdevs[0].type', message: 'an mdev type as mdev_supported_types names it' },
  { name: 'an mdev without its type', toml: `${head}[[vm.a.mdevs]]\nparent = "00:02.0"\n`, line: 3, column: 1, key: 'vm.a.mdevs[0].type', message: 'required key is missing' },
  { name: 'five mdevs', toml: `${head}mdevs = [${Array(5).fill('{ parent = "00:02.0", type = "t" }').join(', ')}]\n`, line: 3, column: 9, key: 'vm.a.mdevs', message: 'at most 4 mediated devices' },
  { name: 'single_gpu as a word', toml: `${head}single_gpu = "yes"\n`, line: 3, column: 14, key: 'vm.a.single_gpu', message: 'expected true or false' },
  { name: 'guest_agent as a word', toml: `${head}guest_agent = "yes"\n`, line: 3, column: 15, key: 'vm.a.guest_agent', message: 'expected true or false' },
];

describe('the device model keys of [vm.NAME]', () => {
  it.each(CASES)('$name', ({ toml, line, column, key, message }) => {
    const result = validateNovaFile(toml, 'NovaFile.toml');
    const match = result.diagnostics.find((d) => d.message.includes(message));
    expect(match, `no diagnostic mentions ${JSON.stringify(message)} in:\n${result.diagnostics.map(formatNovaFileDiagnostic).join('\n')}`).toMatchObject({ severity: 'error', line, column, key });
  });

  it("networks' tables reach the create spec: each NIC with its MAC (net0's from mac) and model", () => {
    const toml = `${head}mac = "52:54:00:AA:00:01"\nnetworks = ["lan", { network = "san", mac = "52:54:00:aa:00:02", model = "e1000e" }]\n${NETS}`;
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(config!.vms[0]).toMatchObject({ network: 'lan', networks: ['lan', 'san'], mac: '52:54:00:aa:00:01' });
    expect(vmCreateSpec(config!.vms[0]!)).toMatchObject({
      network: 'none',
      nics: [
        { network: { nova: 'lan' }, mac: '52:54:00:aa:00:01' },
        { network: { nova: 'san' }, mac: '52:54:00:aa:00:02', model: 'e1000e' },
      ],
    });
    expect(vmCreateSpec(config!.vms[0]!).nicMac).toBeUndefined();
  });

  it('one NIC given as a table with a model is one NIC of that model', () => {
    const { config, diagnostics } = parseNovaFile(`${head}networks = [{ network = "lan", mac = "52:54:00:aa:00:09", model = "e1000e" }]\n${NETS}`, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(vmCreateSpec(config!.vms[0]!)).toMatchObject({ network: 'none', nics: [{ network: { nova: 'lan' }, mac: '52:54:00:aa:00:09', model: 'e1000e' }] });
  });

  it('a NIC table naming an undeclared network is told at its network key', () => {
    const result = validateNovaFile(`${head}networks = [{ network = "wan" }]\n[network.lan]\n`, 'NovaFile.toml');
    expect(result.diagnostics.find((d) => d.message.includes('network "wan" is not defined'))).toMatchObject({ line: 3, column: 25, key: 'vm.a.networks[0].network' });
  });

  it('mdevs and single_gpu reach the create spec, the parent in canonical form', () => {
    const { config, diagnostics } = parseNovaFile(`${head}devices = ["0000:03:00.0"]\nsingle_gpu = true\nmdevs = [{ parent = "00:02.0", type = "i915-GVTg_V5_4" }]\n`, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(vmCreateSpec(config!.vms[0]!)).toMatchObject({ devices: [{ address: '0000:03:00.0' }], singleGpu: true, mdevs: [{ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' }] });
  });

  it('reach the create spec, paths resolved from the NovaFile folder and the driver ISO before the other CDs', () => {
    const toml = `${head}os = "windows11"\niso = "win11.iso"\ndriver_iso = "virtio-win.iso"\ncdroms = ["tools.iso"]\nmac = "52:54:00:AA:BB:CC"\ndisk_cache = "none"\nboot_order = ["cd0", "disk0"]\nguest_agent = false\nnetwork = "lan"\n[[vm.a.disk]]\nsize = "2Gi"\nbus = "scsi"\n[[vm.a.disk]]\npath = "data.raw"\n[network.lan]\n`;
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(vmCreateSpec(config!.vms[0]!)).toMatchObject({
      driverIso: '/p/virtio-win.iso',
      cdroms: ['/p/tools.iso'],
      nicMac: '52:54:00:aa:bb:cc',
      diskCache: 'none',
      bootOrder: ['cd0', 'disk0'],
      guestAgent: false,
      disks: [
        { size: 2048, bus: 'scsi', cache: 'writeback' },
        { path: '/p/data.raw', bus: 'virtio', cache: 'writeback' },
      ],
    });
  });
});
