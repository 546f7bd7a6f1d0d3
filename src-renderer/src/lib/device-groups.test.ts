import { describe, expect, it } from 'vitest';
import type { DeviceBinding, DeviceInventory, PciDevice } from '../../../src-shared/index.js';
import { groupDevices, holderWords } from './device-groups.js';

const dev = (address: string, iommuGroup: number | null) => ({ address, iommuGroup }) as PciDevice;

describe('device groups', () => {
  it('groups by IOMMU group in number order, ungrouped devices last, each with its binding', () => {
    const inv = { pci: [dev('0000:03:00.0', 2), dev('0000:00:1f.0', null), dev('0000:01:00.1', 1), dev('0000:01:00.0', 1)] } as DeviceInventory;
    const binding = { group: 1, phase: 'bound', holder: { kind: 'vm', vm: 'win11' }, stuck: [] } as unknown as DeviceBinding;
    const groups = groupDevices(inv, [binding]);
    expect(groups.map((g) => [g.group, g.devices.map((d) => d.address), g.binding !== null])).toEqual([
      [1, ['0000:01:00.0', '0000:01:00.1'], true],
      [2, ['0000:03:00.0'], false],
      [null, ['0000:00:1f.0'], false],
    ]);
    expect(holderWords(binding)).toBe('held by VM win11');
  });
});
