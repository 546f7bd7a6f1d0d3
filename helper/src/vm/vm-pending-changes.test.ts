import { describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { resolveBootOrder } from '../../../src-shared/vm-devices.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { hasBootSignature } from './disk-boot-sector.js';
import { pendingChanges } from './vm-pending-changes.js';

const base = sampleVmDefinition({
  disks: [{ id: 'disk0', path: '/v/disk0.qcow2', format: 'qcow2', owned: true, readOnly: false }],
  iso: '/i/installer.iso',
  display: { vnc: true, spice: false },
});

describe('pendingChanges', () => {
  it('names what the running QEMU has not taken, in words', () => {
    const now: VmDefinition = {
      ...base,
      cpus: 4,
      memoryMiB: 2048,
      disks: [{ ...base.disks[0]!, bus: 'sata' }, { id: 'disk1', path: '/v/disk1.qcow2', format: 'qcow2', owned: true, readOnly: false }],
      cdroms: [{ id: 'cd1', path: null }],
      nics: [{ network: { mode: 'user' }, mac: '52:54:00:00:00:01' }],
    };
    expect(pendingChanges(base, now)).toEqual([
      'CPUs 2 -> 4',
      'memory 1024 MiB -> 2048 MiB',
      'NIC net0 added (user)',
      'disk0 bus virtio -> sata',
      'disk1 added (/v/disk1.qcow2)',
      'CD drive cd1 added',
    ]);
  });

  it('leaves out CD media, which change live, and an old record\'s absent fields equal their defaults', () => {
    expect(pendingChanges(base, { ...base, iso: '/i/other.iso', cdroms: [], bootOrder: null, disks: [{ ...base.disks[0]!, bus: 'virtio', cache: 'writeback' }] })).toEqual([]);
  });
});

describe('pendingChanges of passed devices', () => {
  it('names PCI and mediated devices, Looking Glass and single-GPU mode, and leaves out USB, which is hot-plugged', () => {
    const now: VmDefinition = {
      ...base,
      devices: [{ address: '0000:01:00.0', policy: 'restore' }],
      mdevs: [{ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' }],
      lookingGlass: { resolution: '2560x1440' },
      singleGpu: true,
      usb: ['usb:046d:c52b'],
    };
    expect(pendingChanges(base, now)).toEqual([
      'PCI devices none -> 0000:01:00.0',
      'mediated devices none -> mdev:0000:00:02.0:i915-GVTg_V5_4',
      'Looking Glass off -> 2560x1440',
      'single-GPU mode off -> on',
    ]);
    expect(pendingChanges(now, { ...now, lookingGlass: { resolution: '1920x1080' }, usb: [] })).toEqual(['Looking Glass 2560x1440 -> 1920x1080']);
  });
});

describe('resolveBootOrder', () => {
  it('keeps the order VMs always had while the disk is blank, puts an installed disk first', () => {
    expect(resolveBootOrder(base, false)).toBeNull();
    expect(resolveBootOrder(base, true)).toEqual(['disk0', 'cd0']);
  });

  it("takes the definition's own order, without devices it no longer has", () => {
    expect(resolveBootOrder({ ...base, bootOrder: ['net0', 'disk3', 'cd0', 'disk0'] }, false)).toEqual(['net0', 'cd0', 'disk0']);
  });
});

describe('hasBootSignature', () => {
  const dump = (last: string) => `000001e0:  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n000001f0:  00 00 00 00 00 00 00 00 00 00 00 00 00 00 ${last}  ................\nread 512/512 bytes at offset 0\n`;
  it('reads 0x55 0xAA at the end of the first sector from qemu-io\'s dump', () => {
    expect(hasBootSignature(dump('55 aa'))).toBe(true);
    expect(hasBootSignature(dump('00 00'))).toBe(false);
    expect(hasBootSignature('qemu-io: cannot open')).toBe(false);
  });
});
