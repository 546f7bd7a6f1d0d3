import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHugepages } from './hugepages.js';
import { FakeHost } from './testing/fake-host.js';
import { MEMINFO } from './testing/host-fixtures.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
});
afterEach(async () => host.dispose());

describe('hugepages', () => {
  it('reports a reserved 2 MiB pool', async () => {
    await host.file('/proc/meminfo', MEMINFO.replace('HugePages_Total:       0', 'HugePages_Total:    1024').replace('HugePages_Free:        0', 'HugePages_Free:      512'));
    await host.file('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', '1024\n');
    await host.file('/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages', '0\n');
    await host.file('/sys/kernel/mm/transparent_hugepage/enabled', 'always [madvise] never\n');
    const [item] = await checkHugepages(host.env());
    expect(item?.status).toBe('ok');
    expect(item?.summary).toBe('1024 × 2 MiB reserved, 512 free');
    expect(item?.evidence).toEqual([
      '/proc/meminfo: HugePages_Total 1024, HugePages_Free 512, Hugepagesize 2048 kB',
      '/sys/kernel/mm/hugepages: 1.0 GiB pages: 0 reserved; 2 MiB pages: 1024 reserved',
      'transparent hugepages: madvise',
    ]);
  });

  it('is fine with support and no pool', async () => {
    await host.file('/proc/meminfo', MEMINFO);
    await host.file('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', '0\n');
    const [item] = await checkHugepages(host.env());
    expect(item?.status).toBe('ok');
    expect(item?.summary).toMatch(/none reserved: VMs use regular pages/);
  });

  it('warns when the kernel has no hugetlbfs', async () => {
    await host.file('/proc/meminfo', 'MemTotal: 1000 kB\n');
    const [item] = await checkHugepages(host.env());
    expect(item?.status).toBe('warn');
    expect(item?.remedy).toMatch(/CONFIG_HUGETLBFS/);
  });
});
