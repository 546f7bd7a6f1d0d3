// The host's own counters from /proc: CPU time (all cores), memory in use (total less
// available, as `free` counts it), bytes read and written by whole disks (partitions and
// stacked devices would count the same bytes twice) and bytes through physical network
// interfaces (bridges, taps and veths would count guests' traffic again).
import { existsSync } from 'node:fs';
import { metricsFiles, type KernelFiles } from './kernel-files.js';

const SECTOR_BYTES = 512;
/** Partitions, and devices built on others (loop, device-mapper, md, zram, ram). */
const NOT_A_WHOLE_DISK = /^(loop|ram|zram|dm-|md|sr|fd)|^(sd|vd|hd|xvd)[a-z]+\d+$|^(nvme\d+n\d+|mmcblk\d+)p\d+$/;

export interface HostCounters {
  cpuBusyTicks: number;
  cpuTotalTicks: number;
  memoryUsedBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

export function parseCpuTicks(stat: string): { busy: number; total: number } {
  const line = stat.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

export function parseMemoryUsed(meminfo: string): number {
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  return Math.max(0, kib('MemTotal') - kib('MemAvailable'));
}

export function parseDiskBytes(diskstats: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of diskstats.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (!name || NOT_A_WHOLE_DISK.test(name)) continue;
    read += Number(f[5] ?? 0) * SECTOR_BYTES;
    write += Number(f[9] ?? 0) * SECTOR_BYTES;
  }
  return { read, write };
}

/** rx and tx bytes of the interfaces `include` accepts, from /proc/net/dev. */
export function parseNetBytes(netdev: string, include: (ifname: string) => boolean): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of netdev.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const ifname = line.slice(0, colon).trim();
    if (!include(ifname)) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

export class HostSampler {
  private readonly physical = new Map<string, boolean>();

  constructor(
    private readonly procRoot = '/proc',
    private readonly sysRoot = '/sys',
    private readonly files: KernelFiles = metricsFiles,
  ) {}

  async sample(): Promise<HostCounters> {
    const [stat, meminfo, diskstats, netdev] = ['stat', 'meminfo', 'diskstats', 'net/dev'].map((f) => this.files.read(`${this.procRoot}/${f}`) ?? '');
    const cpu = parseCpuTicks(stat ?? '');
    const disk = parseDiskBytes(diskstats ?? '');
    const net = parseNetBytes(netdev ?? '', (ifname) => this.isPhysical(ifname));
    return {
      cpuBusyTicks: cpu.busy,
      cpuTotalTicks: cpu.total,
      memoryUsedBytes: parseMemoryUsed(meminfo ?? ''),
      diskReadBytes: disk.read,
      diskWriteBytes: disk.write,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
    };
  }

  /** An interface backed by a device; remembered, since interfaces rarely change kind. */
  private isPhysical(ifname: string): boolean {
    let known = this.physical.get(ifname);
    if (known === undefined) {
      known = /^[\w.-]+$/.test(ifname) && existsSync(`${this.sysRoot}/class/net/${ifname}/device`);
      if (this.physical.size > 1024) this.physical.clear();
      this.physical.set(ifname, known);
    }
    return known;
  }
}
