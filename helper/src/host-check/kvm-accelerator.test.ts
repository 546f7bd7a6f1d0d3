import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostCheckItemSchema } from '../../../src-shared/host.js';
import { checkKvmAccelerator } from './kvm-accelerator.js';
import { bootProbeArgv, bootSectorImage } from './kvm-boot-probe.js';
import { FakeHost, isCall } from './testing/fake-host.js';
import { CPUINFO_AMD_PVM_GUEST, CPUINFO_INTEL_VMX } from './testing/host-fixtures.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
  await host.tool('/usr/bin/qemu-system-x86_64');
});
afterEach(async () => host.dispose());

/** QEMU that prints the boot marker under the listed accelerators and hangs under the others. */
function qemuRunsUnder(...accels: string[]) {
  host.onRun((argv, opts) => {
    if (!isCall(argv, 'qemu-system-x86_64')) return undefined;
    const accel = argv[argv.indexOf('-accel') + 1];
    return accels.includes(accel ?? '')
      ? { stdout: 'K\n', exitCode: null, stoppedOnMatch: true, durationMs: 80 }
      : { stdout: '', exitCode: null, timedOut: true, durationMs: opts.timeoutMs };
  });
}

function byId(items: { id: string }[], id: string) {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`no item ${id}`);
  return HostCheckItemSchema.parse(item);
}

describe('KVM and the accelerator', () => {
  it('chooses KVM on an Intel host with vmx, kvm_intel and a guest that runs', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    await host.file('/dev/kvm');
    await host.dir('/sys/module/kvm/parameters');
    await host.dir('/sys/module/kvm_intel/parameters');
    qemuRunsUnder('kvm', 'tcg');

    const v = await checkKvmAccelerator(host.env());

    expect(v.accelerator).toBe('kvm');
    expect(byId(v.items, 'cpu-virt-extensions').status).toBe('ok');
    const kvm = byId(v.items, 'kvm');
    expect(kvm.status).toBe('ok');
    expect(kvm.evidence.join('\n')).toContain('/sys/module/kvm_intel: present');
    expect(kvm.evidence.join('\n')).toMatch(/-accel kvm printed "K"/);
    const accel = byId(v.items, 'accelerator');
    expect(accel.status).toBe('ok');
    expect(accel.summary).toMatch(/KVM/);
    expect(accel.remedy).toBeNull();
  });

  it('refuses kvm_pvm even when its probe prints the marker, and says TCG will be used and why', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    await host.file('/dev/kvm');
    await host.dir('/sys/module/kvm/parameters');
    await host.dir('/sys/module/kvm_pvm/parameters');
    qemuRunsUnder('kvm', 'tcg');

    const v = await checkKvmAccelerator(host.env());

    expect(v.accelerator).toBe('tcg');
    const ext = byId(v.items, 'cpu-virt-extensions');
    expect(ext.status).toBe('warn');
    expect(ext.evidence.join('\n')).toMatch(/hypervisor/);
    const kvm = byId(v.items, 'kvm');
    expect(kvm.status).toBe('fail');
    expect(kvm.summary).toMatch(/kvm_pvm.*paravirtual/);
    expect(kvm.evidence.join('\n')).toContain('/sys/module/kvm_pvm: present');
    expect(kvm.evidence.join('\n')).toMatch(/stock distribution kernels hang/);
    expect(kvm.evidence.join('\n')).toMatch(/-accel kvm printed "K"/);
    const accel = byId(v.items, 'accelerator');
    expect(accel.status).toBe('warn');
    expect(accel.summary).toMatch(/TCG/);
    expect(accel.evidence[0]).toMatch(/why not KVM: .*paravirtual KVM \(kvm_pvm/);
    expect(accel.remedy).toMatch(/nested VT-x\/AMD-V/);
  });

  it('falls back to TCG without /dev/kvm, and only probes TCG', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    qemuRunsUnder('tcg');

    const v = await checkKvmAccelerator(host.env());

    expect(v.accelerator).toBe('tcg');
    const kvm = byId(v.items, 'kvm');
    expect(kvm.status).toBe('fail');
    expect(kvm.evidence).toContain('/dev/kvm: not present');
    expect(kvm.remedy).toBe('Load the KVM module for this CPU: modprobe kvm_intel');
    expect(host.callsOf('qemu-system-x86_64').map((a) => a[2])).toEqual(['tcg']);
    expect(byId(v.items, 'accelerator').evidence.join('\n')).toMatch(/-accel tcg printed "K"/);
  });

  it('falls back to TCG when kvm_intel is loaded but the test guest never prints', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    await host.file('/dev/kvm');
    await host.dir('/sys/module/kvm_intel/parameters');
    qemuRunsUnder('tcg');

    const v = await checkKvmAccelerator(host.env(), 500);

    expect(v.accelerator).toBe('tcg');
    const kvm = byId(v.items, 'kvm');
    expect(kvm.status).toBe('fail');
    expect(kvm.evidence.join('\n')).toMatch(/-accel kvm printed nothing: no answer within 0.5 s/);
  });

  it('bounds the KVM probe tightly when it cannot change the verdict (no kvm_intel/kvm_amd)', async () => {
    const bounds: Record<string, number> = {};
    host.onRun((argv, opts) => {
      if (!isCall(argv, 'qemu-system-x86_64')) return undefined;
      bounds[argv[2] ?? ''] = opts.timeoutMs;
      return { stdout: '', exitCode: null, timedOut: true };
    });
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    await host.file('/dev/kvm');
    await host.dir('/sys/module/kvm_pvm/parameters');
    const pvm = await checkKvmAccelerator(host.env());
    expect(bounds).toEqual({ kvm: 3_000, tcg: 10_000 });
    expect(byId(pvm.items, 'kvm').evidence.join('\n')).toMatch(/printed nothing: no answer within 3 s.*\n.*only evidence here/);

    await host.dir('/sys/module/kvm_amd/parameters');
    await checkKvmAccelerator(host.env());
    expect(bounds).toEqual({ kvm: 10_000, tcg: 10_000 });
  });

  it('says when the kvm module itself is not loaded', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    qemuRunsUnder('tcg');
    const kvm = byId((await checkKvmAccelerator(host.env())).items, 'kvm');
    expect(kvm.evidence).toContain('/sys/module/kvm: absent (KVM not loaded)');
    expect(kvm.remedy).toMatch(/nested virtualization/);
  });

  it('fails the accelerator item when QEMU is missing, without running anything', async () => {
    const bare = await FakeHost.create();
    try {
      await bare.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
      await bare.file('/dev/kvm');
      await bare.dir('/sys/module/kvm_intel/parameters');
      const v = await checkKvmAccelerator(bare.env());
      expect(v.accelerator).toBe('tcg');
      const accel = byId(v.items, 'accelerator');
      expect(accel.status).toBe('fail');
      expect(accel.remedy).toMatch(/apt install qemu-system-x86/);
      expect(bare.calls).toEqual([]);
    } finally {
      await bare.dispose();
    }
  });

  it('removes the boot image it wrote', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    qemuRunsUnder('tcg');
    await checkKvmAccelerator(host.env());
    expect(await readdir(host.at('/tmp'))).toEqual([]);
  });
});

describe('the boot probe guest', () => {
  it('is a 512-byte boot sector that writes K and a newline to COM1, then halts', () => {
    const img = bootSectorImage();
    expect(img.length).toBe(512);
    expect([...img.slice(0, 13)]).toEqual([0xba, 0xf8, 0x03, 0xb0, 0x4b, 0xee, 0xb0, 0x0a, 0xee, 0xfa, 0xf4, 0xeb, 0xfe]);
    expect(img.slice(13, 510).every((b) => b === 0)).toBe(true);
    expect([img[510], img[511]]).toEqual([0x55, 0xaa]);
  });

  it('boots with exactly this QEMU command line', () => {
    expect(bootProbeArgv('/usr/bin/qemu-system-x86_64', 'kvm', '/tmp/x/boot.img')).toEqual([
      '/usr/bin/qemu-system-x86_64',
      '-accel', 'kvm',
      '-machine', 'pc',
      '-nodefaults',
      '-no-user-config',
      '-display', 'none',
      '-serial', 'stdio',
      '-drive', 'file=/tmp/x/boot.img,format=raw,if=floppy',
      '-no-reboot',
    ]);
  });
});
