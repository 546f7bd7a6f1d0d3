// A capsule's resource use read straight from its cgroup, on cgroup v1 (one hierarchy
// per controller, as on hybrid hosts) or v2 (one unified tree). Missing files read as null.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapsuleMetrics } from '../../../src-shared/capsule.js';
import { metricsFiles, type KernelFiles } from '../metrics/kernel-files.js';

function parseNumber(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** `key value` lines of a cgroup file, numbers only. */
function parseKeyed(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

function readKeyedNow(path: string): Map<string, number> | null {
  try {
    return parseKeyed(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Sums Read/Write over devices in blkio.throttle.io_service_bytes(_recursive) (v1). */
export function parseBlkioBytes(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const [, op, v] = line.trim().split(/\s+/);
    if (op === 'Read') read += Number(v);
    if (op === 'Write') write += Number(v);
  }
  return { read, write };
}

/** Sums rbytes/wbytes over devices in io.stat (v2). */
export function parseIoStat(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/\brbytes=(\d+)/g)) read += Number(m[1]);
  for (const m of text.matchAll(/\bwbytes=(\d+)/g)) write += Number(m[1]);
  return { read, write };
}

export async function readCgroupMetrics(cgroupsPath: string, cgroupRoot = '/sys/fs/cgroup', files: KernelFiles = metricsFiles): Promise<CapsuleMetrics> {
  const at = new Date().toISOString();
  const number = (path: string) => parseNumber(files.read(path));
  const v2 = join(cgroupRoot, cgroupsPath);
  const v2Cpu = files.read(join(v2, 'cpu.stat'));
  const v2Memory = v2Cpu === null ? null : number(join(v2, 'memory.current'));
  if (v2Cpu !== null && v2Memory !== null) {
    const io = files.read(join(v2, 'io.stat'));
    const ioBytes = io === null ? null : parseIoStat(io);
    const usec = parseKeyed(v2Cpu).get('usage_usec');
    return {
      at,
      cpuUsageNs: usec === undefined ? null : usec * 1000,
      memoryBytes: v2Memory,
      memoryLimitBytes: number(join(v2, 'memory.max')),
      pids: number(join(v2, 'pids.current')),
      ioReadBytes: ioBytes?.read ?? null,
      ioWriteBytes: ioBytes?.write ?? null,
      netRxBytes: null,
      netTxBytes: null,
    };
  }
  const cpuacct = number(join(cgroupRoot, 'cpuacct', cgroupsPath, 'cpuacct.usage')) ?? number(join(cgroupRoot, 'cpu,cpuacct', cgroupsPath, 'cpuacct.usage'));
  const blkio = files.read(join(cgroupRoot, 'blkio', cgroupsPath, 'blkio.throttle.io_service_bytes_recursive'));
  const io = blkio === null ? null : parseBlkioBytes(blkio);
  const limit = number(join(cgroupRoot, 'memory', cgroupsPath, 'memory.limit_in_bytes'));
  return {
    at,
    cpuUsageNs: cpuacct,
    memoryBytes: number(join(cgroupRoot, 'memory', cgroupsPath, 'memory.usage_in_bytes')),
    // v1 reports "no limit" as a huge page-aligned number.
    memoryLimitBytes: limit !== null && limit < 2 ** 62 ? limit : null,
    pids: number(join(cgroupRoot, 'pids', cgroupsPath, 'pids.current')),
    ioReadBytes: io?.read ?? null,
    ioWriteBytes: io?.write ?? null,
    netRxBytes: null,
    netTxBytes: null,
  };
}

/**
 * The OOM kills the kernel made in the capsule's cgroup (v1 memory.oom_control, v2
 * memory.events); null when neither file is there (the cgroup is gone). The cgroup keeps
 * its count until the runtime deletes the container, so a reap reads it first. Synchronous:
 * cgroupfs answers from memory, quicker than two trips to libuv's thread pool on an exit.
 */
export function oomKillCount(cgroupsPath: string, cgroupRoot = '/sys/fs/cgroup'): number | null {
  const v1 = readKeyedNow(join(cgroupRoot, 'memory', cgroupsPath, 'memory.oom_control'));
  if (v1) return v1.get('oom_kill') ?? 0;
  const v2 = readKeyedNow(join(cgroupRoot, cgroupsPath, 'memory.events'));
  return v2 ? (v2.get('oom_kill') ?? 0) : null;
}
