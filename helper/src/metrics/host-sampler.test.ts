import { describe, expect, it } from 'vitest';
import { HostSampler, parseCpuTicks, parseDiskBytes, parseMemoryUsed, parseNetBytes } from './host-sampler.js';

describe('host counters from /proc', () => {
  it('counts busy CPU as everything but idle and iowait', () => {
    expect(parseCpuTicks('cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n')).toEqual({ busy: 160, total: 1000 });
  });

  it('counts memory in use as total less available', () => {
    expect(parseMemoryUsed('MemTotal:       16000 kB\nMemFree:  1000 kB\nMemAvailable:    6000 kB\n')).toBe(10_000 * 1024);
  });

  it('counts whole disks only, not partitions, loops or device-mapper', () => {
    const diskstats = [
      '   8       0 sda 100 0 2000 0 50 0 4000 0 0 0 0',
      '   8       1 sda1 100 0 2000 0 50 0 4000 0 0 0 0',
      ' 259       0 nvme0n1 10 0 10 0 10 0 10 0 0 0 0',
      ' 259       1 nvme0n1p1 10 0 10 0 10 0 10 0 0 0 0',
      '   7       0 loop0 9 0 999 0 9 0 999 0 0 0 0',
      ' 253       0 dm-0 9 0 999 0 9 0 999 0 0 0 0',
    ].join('\n');
    expect(parseDiskBytes(diskstats)).toEqual({ read: 2010 * 512, write: 4010 * 512 });
  });

  it('sums only the interfaces it is told to', () => {
    const netdev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0',
      '  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0',
      'nvbr0: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0',
    ].join('\n');
    expect(parseNetBytes(netdev, (i) => i === 'eth0')).toEqual({ rx: 1000, tx: 2000 });
  });

  it('reads this machine\'s /proc', async () => {
    const c = await new HostSampler().sample();
    expect(c.cpuTotalTicks).toBeGreaterThan(c.cpuBusyTicks);
    expect(c.memoryUsedBytes).toBeGreaterThan(0);
  });
});
