// Hugepages back VM memory with 2 MiB/1 GiB pages (fewer TLB misses); optional, so a
// host without a reserved pool is fine, and one without kernel support only warned.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { formatKib, parseMeminfo } from './cpu-memory.js';
import { listHostDir, readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export async function checkHugepages(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const label = 'Hugepages';
  const [meminfo, sizes, thp] = await Promise.all([
    readHostFile(env, '/proc/meminfo'),
    listHostDir(env, '/sys/kernel/mm/hugepages'),
    readHostFile(env, '/sys/kernel/mm/transparent_hugepage/enabled'),
  ]);
  const fields = parseMeminfo(meminfo ?? '');
  const total = fields.get('HugePages_Total');
  const free = fields.get('HugePages_Free');
  const size = fields.get('Hugepagesize');
  const pools: Array<{ size: string; reserved: string }> = [];
  for (const dir of sizes ?? []) {
    const kib = /^hugepages-(\d+)kB$/.exec(dir)?.[1];
    if (!kib) continue;
    const nr = (await readHostFile(env, `/sys/kernel/mm/hugepages/${dir}/nr_hugepages`))?.trim() ?? '?';
    pools.push({ size: formatKib(Number(kib)), reserved: nr });
  }
  const evidence = [
    total === undefined
      ? '/proc/meminfo: no HugePages_Total (kernel without hugetlbfs)'
      : `/proc/meminfo: HugePages_Total ${total}, HugePages_Free ${free ?? '?'}, Hugepagesize ${size !== undefined ? `${size} kB` : '?'}`,
    `/sys/kernel/mm/hugepages: ${pools.length > 0 ? pools.map((p) => `${p.size} pages: ${p.reserved} reserved`).join('; ') : 'absent'}`,
  ];
  // "always [madvise] never": the bracketed word is the active mode.
  const thpMode = thp ? /\[(\w+)\]/.exec(thp)?.[1] : undefined;
  if (thpMode) evidence.push(`transparent hugepages: ${thpMode}`);

  if (total === undefined && pools.length === 0) {
    return [
      checkItem('hugepages', 'hardware', label, {
        status: 'warn',
        summary: 'Not supported by this kernel: VMs use regular pages',
        evidence,
        remedy: 'Only needed for hugepage-backed VMs: use a kernel with CONFIG_HUGETLBFS',
      }),
    ];
  }
  const reserved = total ?? 0;
  const summary =
    reserved > 0
      ? `${reserved} × ${size !== undefined ? formatKib(size) : '?'} reserved, ${free ?? '?'} free`
      : `Supported (${pools.map((p) => p.size).join(', ') || 'default size'} pages), none reserved: VMs use regular pages`;
  return [checkItem('hugepages', 'hardware', label, { status: 'ok', summary, evidence })];
}
