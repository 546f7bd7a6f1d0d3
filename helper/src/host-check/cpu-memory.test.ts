import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCpuMemory, formatKib, parseCpuinfo, parseMeminfo } from './cpu-memory.js';
import { FakeHost } from './testing/fake-host.js';
import { CPUINFO_AMD_PVM_GUEST, CPUINFO_INTEL_VMX, MEMINFO } from './testing/host-fixtures.js';

describe('parsers', () => {
  it('reads model, CPU count and flags from /proc/cpuinfo', () => {
    const cpu = parseCpuinfo(CPUINFO_INTEL_VMX);
    expect(cpu.model).toBe('12th Gen Intel(R) Core(TM) i7-1260P');
    expect(cpu.logicalCpus).toBe(2);
    expect(cpu.sockets).toBe(1);
    expect(cpu.flags.has('vmx')).toBe(true);
    expect(cpu.flags.has('svm')).toBe(false);
  });

  it('reads kB fields and unitless counters from /proc/meminfo', () => {
    const m = parseMeminfo(MEMINFO);
    expect(m.get('MemTotal')).toBe(24684096);
    expect(m.get('HugePages_Total')).toBe(0);
    expect(m.get('Hugepagesize')).toBe(2048);
  });

  it('formats sizes', () => {
    expect(formatKib(24684096)).toBe('23.5 GiB');
    expect(formatKib(2048)).toBe('2 MiB');
  });
});

describe('CPU and memory items', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => host.dispose());

  it('describes the CPU and memory, noting a host that is itself a VM', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    await host.file('/proc/meminfo', MEMINFO);
    const [cpu, mem] = await checkCpuMemory(host.env());
    expect(cpu?.status).toBe('ok');
    expect(cpu?.summary).toBe('AMD EPYC, 2 logical CPUs');
    expect(cpu?.evidence.join('\n')).toMatch(/hypervisor.*itself a virtual machine/);
    expect(mem?.status).toBe('ok');
    expect(mem?.summary).toBe('23.5 GiB total, 23.0 GiB available');
  });

  it('warns when little memory is available', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    await host.file('/proc/meminfo', 'MemTotal: 4000000 kB\nMemAvailable: 500000 kB\n');
    const [, mem] = await checkCpuMemory(host.env());
    expect(mem?.status).toBe('warn');
    expect(mem?.remedy).toMatch(/Less than 1 GiB/);
  });

  it('warns instead of throwing when /proc is not there', async () => {
    const [cpu, mem] = await checkCpuMemory(host.env());
    expect(cpu?.status).toBe('warn');
    expect(mem?.status).toBe('warn');
  });
});
