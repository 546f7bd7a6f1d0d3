// Whether a disk holds a partition table yet: its first sector ends in the 0x55 0xAA
// signature an MBR, and a GPT's protective MBR, both carry. An ISO install writes one;
// from then on the automatic boot order puts the disk before the installer CD. The
// sector is read by qemu-io through the chain's descriptors (as qemu-img reads them,
// qemu-img-argv.ts), never by a name qemu-io would resolve, and without a lock, so a
// running VM's disk can be read too.
import { chainFilename, type DiskSource } from './qemu-img-argv.js';
import type { ProcessRunner } from '../process/process-runner.js';

const SECTOR = 512;
const READ_TIMEOUT_MS = 15_000;

/** qemu-io reading the first sector as a hex dump; -r: read-only, -U: no lock taken. */
export function bootSectorArgv(source: DiskSource, binary = 'qemu-io'): string[] {
  return [binary, '-r', '-U', '-c', `read -v 0 ${SECTOR}`, chainFilename(source.nodes)];
}

/** The bytes of qemu-io's `read -v` dump ("000001f0:  00 ... 55 aa  ..."), by offset. */
export function parseHexDump(text: string): Map<number, number> {
  const bytes = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{8}):\s+((?:[0-9a-f]{2} ?)+)/.exec(line);
    if (!m) continue;
    const base = parseInt(m[1]!, 16);
    m[2]!
      .trim()
      .split(/\s+/)
      .forEach((hex, i) => bytes.set(base + i, parseInt(hex, 16)));
  }
  return bytes;
}

export function hasBootSignature(dump: string): boolean {
  const bytes = parseHexDump(dump);
  return bytes.get(SECTOR - 2) === 0x55 && bytes.get(SECTOR - 1) === 0xaa;
}

/** Reads the signature; a disk qemu-io cannot read counts as blank (the CD stays first). */
export async function diskHasPartitionTable(runner: ProcessRunner, source: DiskSource, signal?: AbortSignal): Promise<boolean> {
  const r = await runner.run({
    argv: bootSectorArgv(source),
    stdinFd: source.stdinFd,
    timeoutMs: READ_TIMEOUT_MS,
    maxOutputBytes: 64 * 1024,
    allowFailure: true,
    what: 'qemu-io: reading the first sector of a disk',
    ...(signal ? { signal } : {}),
  });
  return r.exitCode === 0 && hasBootSignature(r.stdout);
}
