import { describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { unmovableReasons } from './migration-source.js';

const base = sampleVmDefinition({ disks: [{ id: 'disk0', path: '/var/lib/nova/vms/web/disk0.qcow2', format: 'qcow2', owned: true, readOnly: false }] });

describe('unmovableReasons', () => {
  it('lets a plain VM with emulated USB devices move', () => {
    expect(unmovableReasons({ ...base, usb: ['usb:tablet'] })).toEqual([]);
  });

  it('lets a UEFI VM with a TPM move: its variables come in the offer, its TPM state in the stream', () => {
    expect(unmovableReasons({ ...base, firmware: 'uefi-secure', tpm: true })).toEqual([]);
  });

  it('names each thing that ties a VM to this host', () => {
    const reasons = unmovableReasons({
      ...base,
      devices: [{ address: '0000:01:00.0', policy: 'keep' }],
      usb: ['usb:tablet', 'usb:046d:c52b'],
      firmware: 'uefi',
      disks: [{ ...base.disks[0]!, readOnly: true }],
    } as VmDefinition);
    expect(reasons).toEqual([
      'it has passed-through PCI devices (0000:01:00.0), whose state stays in the host\'s hardware',
      'it has host USB devices (usb:046d:c52b)',
      'it has a read-only disk',
    ]);
  });

  it('lets a cold move carry UEFI variables, TPM state and read-only disks, but not host devices', () => {
    const def = { ...base, firmware: 'uefi', tpm: true, disks: [{ ...base.disks[0]!, readOnly: true }], devices: [{ address: '0000:01:00.0', policy: 'keep' }] } as VmDefinition;
    expect(unmovableReasons(def, 'cold')).toEqual(["it has passed-through PCI devices (0000:01:00.0), whose state stays in the host's hardware"]);
  });
});
