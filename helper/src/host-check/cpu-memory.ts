// The hardware a VM is carved from: CPU model and count from /proc/cpuinfo, memory
// from /proc/meminfo. Also the parsers other probes reuse (flags, hugepage counters).
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export interface CpuInfo {
  model: string | null;
  logicalCpus: number;
  sockets: number;
  /** Flags of the first CPU (they are the same on every CPU of a sane host). */
  flags: Set<string>;
}

export function parseCpuinfo(text: string): CpuInfo {
  let model: string | null = null;
  let logicalCpus = 0;
  const sockets = new Set<string>();
  let flags: Set<string> | null = null;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(':');
    if (sep === -1) continue;
    const key = line.slice(0, sep).trim();
    const value = line.slice(sep + 1).trim();
    if (key === 'processor') logicalCpus++;
    else if (key === 'model name' && model === null) model = value;
    else if (key === 'physical id') sockets.add(value);
    else if (key === 'flags' && flags === null) flags = new Set(value.split(/\s+/).filter(Boolean));
  }
  return { model, logicalCpus, sockets: Math.max(sockets.size, logicalCpus > 0 ? 1 : 0), flags: flags ?? new Set() };
}

/** /proc/meminfo as a map of field to value; values are in kB unless the field has no unit. */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) fields.set(m[1], Number(m[2]));
  }
  return fields;
}

export function formatKib(kib: number): string {
  const gib = kib / (1024 * 1024);
  if (gib >= 1) return `${gib.toFixed(1)} GiB`;
  return `${Math.round(kib / 1024)} MiB`;
}

export async function checkCpuMemory(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const [cpuinfo, meminfo] = await Promise.all([readHostFile(env, '/proc/cpuinfo'), readHostFile(env, '/proc/meminfo')]);
  return [cpuItem(cpuinfo), memoryItem(meminfo)];
}

function cpuItem(cpuinfo: string | null): HostCheckItem {
  if (cpuinfo === null) {
    return checkItem('cpu', 'hardware', 'CPU', {
      status: 'warn',
      summary: 'Could not read /proc/cpuinfo',
      evidence: ['/proc/cpuinfo: unreadable'],
      remedy: 'Check that /proc is mounted in the helper\'s mount namespace',
    });
  }
  const cpu = parseCpuinfo(cpuinfo);
  const model = cpu.model ?? 'unknown model';
  const evidence = [
    `model name: ${model}`,
    `${cpu.logicalCpus} logical CPU${cpu.logicalCpus === 1 ? '' : 's'} in ${cpu.sockets} socket${cpu.sockets === 1 ? '' : 's'} (/proc/cpuinfo)`,
  ];
  if (cpu.flags.has('hypervisor')) evidence.push('flag "hypervisor": this host is itself a virtual machine');
  const few = cpu.logicalCpus < 2;
  return checkItem('cpu', 'hardware', 'CPU', {
    status: few ? 'warn' : 'ok',
    summary: `${model}, ${cpu.logicalCpus} logical CPU${cpu.logicalCpus === 1 ? '' : 's'}`,
    evidence,
    remedy: 'With one CPU, guests and the desktop compete for it: give VMs one vCPU',
  });
}

// Below this much available memory a default VM (1-2 GiB) would push the host to swap.
const LOW_AVAILABLE_KIB = 1024 * 1024;

function memoryItem(meminfo: string | null): HostCheckItem {
  const fields = meminfo === null ? null : parseMeminfo(meminfo);
  const total = fields?.get('MemTotal');
  const available = fields?.get('MemAvailable');
  if (total === undefined) {
    return checkItem('memory', 'hardware', 'Memory', {
      status: 'warn',
      summary: 'Could not read MemTotal from /proc/meminfo',
      evidence: [meminfo === null ? '/proc/meminfo: unreadable' : '/proc/meminfo: no MemTotal line'],
      remedy: 'Check that /proc is mounted in the helper\'s mount namespace',
    });
  }
  const evidence = [`MemTotal: ${formatKib(total)} (${total} kB)`];
  if (available !== undefined) evidence.push(`MemAvailable: ${formatKib(available)} (${available} kB)`);
  const swap = fields?.get('SwapTotal');
  if (swap !== undefined) evidence.push(`SwapTotal: ${swap === 0 ? 'none' : formatKib(swap)}`);
  const low = available !== undefined && available < LOW_AVAILABLE_KIB;
  return checkItem('memory', 'hardware', 'Memory', {
    status: low ? 'warn' : 'ok',
    summary: `${formatKib(total)} total${available !== undefined ? `, ${formatKib(available)} available` : ''}`,
    evidence,
    remedy: 'Less than 1 GiB is available: close applications or give VMs less memory',
  });
}
