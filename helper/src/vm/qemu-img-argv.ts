// Every qemu-img command line the VM engine runs, built by pure functions so each one
// has a golden test (golden/tools/). qemu-img.ts runs them; nothing else builds them.
// qemu-img is never left to guess: each call names the format, and a disk that may hold
// a header written by a caller is read as an explicit chain (`json:` with every node and
// the last one's `backing: null`), from descriptors the helper opened, never by a name
// qemu-img would resolve itself.
import type { DiskFileFormat } from './disk-header.js';

/** Which qemu-img program: the first argv element. */
export const QEMU_IMG = 'qemu-img';

/** How qemu-img reads the file the helper gave it as stdin. */
export const STDIN = '/dev/stdin';

/**
 * An untrusted header is parsed under a resource limit, as OpenStack does for the same
 * reason (a crafted image can make `qemu-img info` allocate or spin without end).
 */
export const INSPECT_LIMITS = { addressSpaceBytes: 1024 ** 3, cpuSeconds: 30 } as const;

/** One file of a disk's chain as qemu-img is to open it. */
export interface ChainNode {
  filename: string;
  format: DiskFileFormat;
}

/**
 * A disk qemu-img reads through descriptors: `stdinFd` is given as its stdin (the top
 * node's filename is STDIN); the nodes below name the helper's own descriptors.
 */
export interface DiskSource {
  stdinFd: number;
  /** Top first; the last has no backing. */
  nodes: readonly ChainNode[];
}

/** Formats whose nodes take a `backing` option. */
const WITH_BACKING = new Set<DiskFileFormat>(['qcow2', 'vmdk']);

/** The chain as one `json:` filename: each node's backing written out, the last one's null. */
export function chainFilename(nodes: readonly ChainNode[]): string {
  if (nodes.length === 0) throw new Error('a disk chain has at least one file');
  let below: Record<string, unknown> | null = null;
  for (const node of [...nodes].reverse()) {
    const spec: Record<string, unknown> = { driver: node.format, file: { driver: 'file', filename: node.filename } };
    if (WITH_BACKING.has(node.format)) spec.backing = below;
    else if (below) throw new Error(`a ${node.format} file has no backing file`);
    below = spec;
  }
  return `json:${JSON.stringify(below)}`;
}

export const qemuImgArgv = {
  /** A new, empty qcow2 disk. */
  create(path: string, sizeBytes: number, binary = QEMU_IMG): string[] {
    return [binary, 'create', '-q', '-f', 'qcow2', path, String(sizeBytes)];
  },

  /**
   * A qcow2 overlay whose reads fall through to `backing` (linked clones, images,
   * templates). `-u`: the backing file, already inspected, is not opened again, so the
   * size is given.
   */
  overlay(path: string, backing: string, backingFormat: DiskFileFormat, sizeBytes: number, binary = QEMU_IMG): string[] {
    return [binary, 'create', '-q', '-f', 'qcow2', '-u', '-b', backing, '-F', backingFormat, path, String(sizeBytes)];
  },

  /**
   * One untrusted file, given as stdin, read as `format` under INSPECT_LIMITS; its backing
   * file is reported, not opened. -U: reading takes no lock, so a running VM's disk is fine.
   */
  inspect(format: DiskFileFormat, binary = QEMU_IMG): string[] {
    const { addressSpaceBytes, cpuSeconds } = INSPECT_LIMITS;
    return ['prlimit', `--as=${addressSpaceBytes}`, `--cpu=${cpuSeconds}`, '--', binary, 'info', '--output=json', '-U', '-f', format, STDIN];
  },

  /** A file Nova made itself (an import's result, a VM's overlay); `shareLock` (-U) reads one a running QEMU holds. */
  info(path: string, opts: { format: DiskFileFormat; shareLock?: boolean }, binary = QEMU_IMG): string[] {
    return [binary, 'info', '--output=json', '-f', opts.format, ...(opts.shareLock ? ['-U'] : []), path];
  },

  /** A full, standalone copy of a whole chain with `-p`: qemu-img then prints "(NN.NN/100%)" as it goes. */
  convert(source: DiskSource, dst: string, dstFormat: DiskFileFormat, binary = QEMU_IMG): string[] {
    return [binary, 'convert', '-p', '-O', dstFormat, chainFilename(source.nodes), dst];
  },

  /** Grows the top of a disk given as stdin (its backing is not opened); qemu-img refuses to shrink without --shrink, which is never given. */
  resize(format: DiskFileFormat, sizeBytes: number, binary = QEMU_IMG): string[] {
    return [binary, 'resize', '-q', chainFilename([{ filename: STDIN, format }]), String(sizeBytes)];
  },

  /** Internal snapshots of a qcow2 no QEMU has open: create (-c), apply (-a), delete (-d); its backing is not opened. */
  snapshot(action: 'create' | 'apply' | 'delete', path: string, tag: string, binary = QEMU_IMG): string[] {
    const flag = { create: '-c', apply: '-a', delete: '-d' }[action];
    return [binary, 'snapshot', '-q', flag, tag, chainFilename([{ filename: path, format: 'qcow2' }])];
  },

  /**
   * A consistency check of a stopped VM's own qcow2 file (its backing is not opened); with
   * `repairLeaks`, clusters allocated but used by nothing are given back (`-r leaks`),
   * the one repair that cannot lose data. Anything worse is left for a person to decide.
   */
  check(path: string, repairLeaks: boolean, binary = QEMU_IMG): string[] {
    return [binary, 'check', '--output=json', '-f', 'qcow2', ...(repairLeaks ? ['-r', 'leaks'] : []), chainFilename([{ filename: path, format: 'qcow2' }])];
  },
};

/** The percentage in one line of `convert -p` output ("    (42.00/100%)"), or null. */
export function parseConvertProgress(line: string): number | null {
  const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(line);
  return m ? Number(m[1]) : null;
}
