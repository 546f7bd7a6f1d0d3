// The CPU model a VM gets, with Hyper-V enlightenments for Windows guests. Under KVM they
// are the set libvirt and Proxmox give Windows 10/11. QEMU 7.2 under TCG accepts every hv_
// flag but hv_vpindex ("kernel doesn't allow setting HyperV VP_INDEX"), and synic, stimer,
// ipi and tlbflush need vpindex; the rest would only advertise what TCG does not emulate.
// So TCG gets the pure hints (relaxed timing, APIC and spinlock advice) and nothing more.

/** Libvirt's and Proxmox's Windows set, for KVM. */
export const HYPERV_KVM = ['hv_relaxed', 'hv_vapic', 'hv_spinlocks=0x1fff', 'hv_vpindex', 'hv_runtime', 'hv_synic', 'hv_stimer', 'hv_reset', 'hv_frequencies', 'hv_time', 'hv_tlbflush', 'hv_ipi'] as const;
/** What TCG can honour: hints the guest reads from CPUID, no hypervisor page behind them. */
export const HYPERV_TCG = ['hv_relaxed', 'hv_vapic', 'hv_spinlocks=0x1fff'] as const;

/** `-cpu`'s value: the host's CPU under KVM, QEMU's fullest model under TCG, with the enlightenments asked for. */
export function cpuModel(accel: 'kvm' | 'tcg', hyperv: boolean): string {
  const base = accel === 'kvm' ? 'host' : 'max';
  if (!hyperv) return base;
  return [base, ...(accel === 'kvm' ? HYPERV_KVM : HYPERV_TCG)].join(',');
}
