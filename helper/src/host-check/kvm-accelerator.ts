// Which accelerator VMs will really use. /dev/kvm existing is not enough: it may be
// served by kvm_pvm, a paravirtual KVM for nested sandboxes on which stock guest
// kernels hang. KVM is chosen only when kvm_intel/kvm_amd backs it and a guest runs.
import type { Accelerator, HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { parseCpuinfo } from './cpu-memory.js';
import { hostNodeInfo, hostPathExists, readHostFile, type HostNodeInfo } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';
import {
  type BootProbeResult,
  DEFAULT_BOOT_PROBE_TIMEOUT_MS,
  INFORMATIONAL_BOOT_PROBE_TIMEOUT_MS,
  runBootProbe,
} from './kvm-boot-probe.js';

export interface KvmFacts {
  vmxFlag: boolean;
  svmFlag: boolean;
  hypervisorFlag: boolean;
  devKvm: HostNodeInfo | null;
  kvmModule: boolean;
  vendorModule: 'kvm_intel' | 'kvm_amd' | null;
  pvmModule: boolean;
  qemuPath: string | null;
  /** null when not attempted (no /dev/kvm or no QEMU). */
  kvmProbe: BootProbeResult | null;
  tcgProbe: BootProbeResult | null;
}

export interface KvmVerdict {
  accelerator: Accelerator;
  items: HostCheckItem[];
}

export async function gatherKvmFacts(env: HostProbeEnv, probeTimeoutMs = DEFAULT_BOOT_PROBE_TIMEOUT_MS): Promise<KvmFacts> {
  const [cpuinfo, devKvm, kvmModule, intel, amd, pvm, qemuPath] = await Promise.all([
    readHostFile(env, '/proc/cpuinfo'),
    hostNodeInfo(env, '/dev/kvm'),
    hostPathExists(env, '/sys/module/kvm'),
    hostPathExists(env, '/sys/module/kvm_intel'),
    hostPathExists(env, '/sys/module/kvm_amd'),
    hostPathExists(env, '/sys/module/kvm_pvm'),
    env.which('qemu-system-x86_64'),
  ]);
  const flags = parseCpuinfo(cpuinfo ?? '').flags;
  const vendorModule = intel ? 'kvm_intel' : amd ? 'kvm_amd' : null;
  const kvmTimeoutMs = vendorModule ? probeTimeoutMs : Math.min(probeTimeoutMs, INFORMATIONAL_BOOT_PROBE_TIMEOUT_MS);
  // Both probes at once: TCG answers in ~0.1 s, so it costs nothing beside the KVM one.
  const [kvmProbe, tcgProbe] = await Promise.all([
    qemuPath && devKvm ? runBootProbe(env, qemuPath, 'kvm', kvmTimeoutMs) : Promise.resolve(null),
    qemuPath ? runBootProbe(env, qemuPath, 'tcg', probeTimeoutMs) : Promise.resolve(null),
  ]);
  return {
    vmxFlag: flags.has('vmx'),
    svmFlag: flags.has('svm'),
    hypervisorFlag: flags.has('hypervisor'),
    devKvm,
    kvmModule,
    vendorModule,
    pvmModule: pvm,
    qemuPath,
    kvmProbe,
    tcgProbe,
  };
}

export async function checkKvmAccelerator(env: HostProbeEnv, probeTimeoutMs?: number): Promise<KvmVerdict> {
  return decideAccelerator(await gatherKvmFacts(env, probeTimeoutMs));
}

const NESTED_REMEDY =
  'Enable VT-x/AMD-V in the firmware setup; inside a VM, enable nested virtualization on its host (e.g. kvm_intel nested=1 and CPU type "host")';

/** Pure: the items and the accelerator that follow from the facts. */
export function decideAccelerator(f: KvmFacts): KvmVerdict {
  const extItem = extensionsItem(f);
  const kvm = kvmItem(f);
  const accelerator: Accelerator = kvm.usable ? 'kvm' : 'tcg';
  return { accelerator, items: [extItem, kvm.item, acceleratorItem(f, accelerator, kvm.reason, kvm.remedy)] };
}

function extensionsItem(f: KvmFacts): HostCheckItem {
  const label = 'CPU virtualization extensions';
  const found = f.vmxFlag ? 'vmx (Intel VT-x)' : f.svmFlag ? 'svm (AMD-V)' : null;
  if (found) {
    return checkItem('cpu-virt-extensions', 'virtualization', label, {
      status: 'ok',
      summary: `${found} present`,
      evidence: [`/proc/cpuinfo flags include ${found.split(' ')[0]}`],
    });
  }
  const evidence = ['/proc/cpuinfo flags: neither vmx nor svm'];
  if (f.hypervisorFlag) evidence.push('flag "hypervisor": this host is a VM whose host does not expose nested VT-x/AMD-V');
  return checkItem('cpu-virt-extensions', 'virtualization', label, {
    status: 'warn',
    summary: 'No hardware virtualization (vmx/svm) visible to the kernel',
    evidence,
    remedy: NESTED_REMEDY,
  });
}

function kvmItem(f: KvmFacts): { item: HostCheckItem; usable: boolean; reason: string; remedy: string } {
  const label = 'KVM';
  const evidence: string[] = [];
  evidence.push(
    f.devKvm
      ? `/dev/kvm: present (${f.devKvm.modeString} uid ${f.devKvm.uid} gid ${f.devKvm.gid})`
      : '/dev/kvm: not present',
  );
  if (!f.devKvm) evidence.push(`/sys/module/kvm: ${f.kvmModule ? 'present' : 'absent (KVM not loaded)'}`);
  evidence.push(
    f.vendorModule
      ? `/sys/module/${f.vendorModule}: present`
      : '/sys/module/kvm_intel and /sys/module/kvm_amd: absent',
  );
  evidence.push(`/sys/module/kvm_pvm: ${f.pvmModule ? 'present (paravirtual KVM)' : 'absent'}`);
  if (f.kvmProbe) evidence.push(f.kvmProbe.detail);
  else if (f.devKvm && !f.qemuPath) evidence.push('boot probe skipped: qemu-system-x86_64 not found');

  const fail = (summary: string, reason: string, remedy: string) => ({
    item: checkItem('kvm', 'virtualization', label, { status: 'fail', summary, evidence, remedy }),
    usable: false,
    reason,
    remedy,
  });

  if (!f.devKvm) {
    const hasExt = f.vmxFlag || f.svmFlag;
    const remedy = hasExt
      ? `Load the KVM module for this CPU: modprobe ${f.vmxFlag ? 'kvm_intel' : 'kvm_amd'}`
      : NESTED_REMEDY;
    return fail('/dev/kvm does not exist', '/dev/kvm does not exist', remedy);
  }
  if (!f.vendorModule && f.pvmModule) {
    evidence.push(
      'kvm_pvm runs guests only with a PVM-enabled guest kernel; stock distribution kernels hang at boot on it' +
        (f.kvmProbe?.markerSeen
          ? ' (the probe above only shows that real-mode code runs)'
          : f.kvmProbe
            ? ' (the probe is only evidence here: the firmware alone takes seconds under kvm_pvm)'
            : ''),
    );
    return fail(
      '/dev/kvm is served by kvm_pvm (paravirtual KVM): stock guest kernels hang on it',
      '/dev/kvm is a paravirtual KVM (kvm_pvm, no kvm_intel/kvm_amd) on which stock guest kernels hang',
      'Run Nova on bare metal or in a VM with nested VT-x/AMD-V for KVM; until then VMs use TCG',
    );
  }
  if (!f.vendorModule) {
    return fail(
      '/dev/kvm is not backed by kvm_intel or kvm_amd',
      '/dev/kvm is not backed by kvm_intel or kvm_amd',
      f.vmxFlag || f.svmFlag ? `Load the KVM module for this CPU: modprobe ${f.vmxFlag ? 'kvm_intel' : 'kvm_amd'}` : NESTED_REMEDY,
    );
  }
  if (!f.qemuPath) {
    return fail(
      `KVM (${f.vendorModule}) could not be tested: QEMU is not installed`,
      'QEMU is not installed, so KVM could not be tested',
      'Install QEMU: apt install qemu-system-x86 (Fedora: dnf install qemu-kvm)',
    );
  }
  if (!f.kvmProbe?.markerSeen) {
    return fail(
      `A test guest did not run under KVM (${f.vendorModule})`,
      `a test guest did not run under KVM (${f.vendorModule})`,
      'Check "dmesg | grep -i kvm" for errors and that nothing else (VirtualBox, VMware) holds VT-x/AMD-V',
    );
  }
  return {
    item: checkItem('kvm', 'virtualization', label, {
      status: 'ok',
      summary: `Usable: ${f.vendorModule} backs /dev/kvm and a test guest ran`,
      evidence,
    }),
    usable: true,
    reason: `${f.vendorModule} backs /dev/kvm and a test guest ran under KVM`,
    remedy: '',
  };
}

function acceleratorItem(f: KvmFacts, accelerator: Accelerator, reason: string, kvmRemedy: string): HostCheckItem {
  const label = 'VM accelerator';
  if (accelerator === 'kvm') {
    return checkItem('accelerator', 'virtualization', label, {
      status: 'ok',
      summary: 'VMs will use KVM (hardware virtualization)',
      evidence: [`why: ${reason}`, ...(f.kvmProbe ? [f.kvmProbe.detail] : [])],
    });
  }
  if (!f.qemuPath) {
    return checkItem('accelerator', 'virtualization', label, {
      status: 'fail',
      summary: 'VMs cannot run: qemu-system-x86_64 is not installed',
      evidence: ['qemu-system-x86_64: not found in PATH'],
      remedy: 'Install QEMU: apt install qemu-system-x86 (Fedora: dnf install qemu-kvm)',
    });
  }
  const evidence = [`why not KVM: ${reason}`];
  if (f.tcgProbe) evidence.push(f.tcgProbe.detail);
  if (f.tcgProbe && !f.tcgProbe.markerSeen) {
    return checkItem('accelerator', 'virtualization', label, {
      status: 'fail',
      summary: 'VMs cannot run: QEMU failed to run a test guest even under TCG',
      evidence,
      remedy: `Run the probe by hand to see QEMU's error: ${f.qemuPath} -accel tcg -machine pc -display none -serial stdio`,
    });
  }
  return checkItem('accelerator', 'virtualization', label, {
    status: 'warn',
    summary: 'VMs will use TCG (software emulation): they work, several times slower than KVM',
    evidence,
    remedy: kvmRemedy,
  });
}
