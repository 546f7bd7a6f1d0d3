// A complete VM definition for unit tests, with the fields a test cares about given as
// overrides: one place to add a field the definition gains.
import type { VmDefinition } from '../vm.js';

export function sampleVmDefinition(overrides: Partial<VmDefinition> = {}): VmDefinition {
  const display = { vnc: false, spice: false };
  const defaults = { version: 2 as const, name: 'web', osType: 'linux' as const, cpus: 2, memoryMiB: 1024, machine: 'q35' as const, firmware: 'bios' as const };
  const devices = { accel: 'auto' as const, disks: [], iso: null, kernel: null, nics: [], cloudInit: null, display };
  return { ...defaults, ...devices, template: false, description: '', createdAt: '2025-01-01T00:00:00.000Z', ...overrides };
}
