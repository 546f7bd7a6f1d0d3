import { describe, expect, it } from 'vitest';
import { cpuModel } from './hyperv.js';

describe('the CPU model with Hyper-V enlightenments', () => {
  it('gives KVM the full Windows set and TCG only the hints it honours (no hv_vpindex, which TCG refuses)', () => {
    expect(cpuModel('kvm', false)).toBe('host');
    expect(cpuModel('tcg', false)).toBe('max');
    expect(cpuModel('kvm', true)).toBe('host,hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_vpindex,hv_runtime,hv_synic,hv_stimer,hv_reset,hv_frequencies,hv_time,hv_tlbflush,hv_ipi');
    expect(cpuModel('tcg', true)).toBe('max,hv_relaxed,hv_vapic,hv_spinlocks=0x1fff');
  });
});
