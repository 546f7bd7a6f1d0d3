// What a file brought into the image library is, told from its first bytes (never from
// its name alone): a disk in one of qemu-img's formats, an ISO 9660 image, a Linux kernel
// (a bzImage's boot header, or an ELF vmlinux with the kernel's own notes) or an initrd
// (a cpio archive, bare or compressed). image-library.ts reads it through the descriptor
// it checked and stores the answer, so the pickers offer each file only where it fits.
import { constants, gunzipSync } from 'node:zlib';
import { NovaError } from '../../../src-shared/errors.js';
import type { ImageType } from '../../../src-shared/vm.js';

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

export interface DetectedType {
  type: ImageType;
  /** What the header says beyond the type: "bzImage", "ELF vmlinux", "cpio (zstd)". */
  detail?: string;
  /** A bzImage's own version string, up to its first space ("6.1.0-57-amd64"). */
  kernelVersion?: string;
}

/** Magic numbers of the disk formats qemu-img converts: such a file is a disk whatever else it resembles. */
const DISK_MAGIC: ReadonlyArray<readonly [number, string]> = [
  [0, 'QFI\xfb'],
  [0, 'KDMV'],
  [0, 'vhdxfile'],
  [0x40, '\x7f\x10\xda\xbe'],
];
const ISO_MAGIC_AT = 0x8001;
const CPIO_MAGIC = ['070701', '070702', '070707'];
/** Compressors the kernel unpacks an initramfs with; gzip is looked inside, the rest taken at their word. */
const COMPRESSED: ReadonlyArray<readonly [string, Buffer]> = [
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
  ['bzip2', Buffer.from('BZh')],
];
const GZIP = Buffer.from([0x1f, 0x8b]);
const HEAD_BYTES = 0x8006;
const PT_NOTE = 4;
const MAX_NOTES_BYTES = 1 << 16;

/**
 * The type of the file `read` reads. `name` is what the caller called it: only an `.iso`
 * whose header shows nothing else counts for anything (Nova always copied those as ISOs).
 */
export async function detectImageType(read: ReadAt, name: string): Promise<DetectedType> {
  const head = await read(0, HEAD_BYTES);
  const at = (offset: number, text: string) => head.subarray(offset, offset + text.length).equals(Buffer.from(text, 'latin1'));
  if (DISK_MAGIC.some(([offset, magic]) => at(offset, magic))) return { type: 'disk' };
  if (at(ISO_MAGIC_AT, 'CD001') || name.toLowerCase().endsWith('.iso')) return { type: 'iso' };
  if (head.length >= 0x210 && at(0x202, 'HdrS') && head.readUInt16LE(0x1fe) === 0xaa55) return bzImage(head, read);
  if (at(0, '\x7fELF')) return vmlinux(head, read, name);
  const initrd = initrdOf(head);
  if (initrd) return initrd;
  if (head.subarray(0, 2).equals(GZIP)) {
    throw new NovaError('invalid_argument', `${name} is gzip-compressed but holds no cpio archive, so it is no initrd; decompress a disk image before importing it`);
  }
  return { type: 'disk' };
}

/** The boot protocol's header: kernel_version (0x20e) points at the version string, 0x200 bytes further on. */
async function bzImage(head: Buffer, read: ReadAt): Promise<DetectedType> {
  const pointer = head.readUInt16LE(0x20e);
  const found: DetectedType = { type: 'kernel', detail: 'bzImage' };
  if (pointer === 0) return found;
  const text = (await read(pointer + 0x200, 128)).toString('latin1');
  const version = /^[\x21-\x7e]+/.exec(text)?.[0];
  return version ? { ...found, kernelVersion: version } : found;
}

/**
 * An ELF executable is a kernel when a note segment carries the kernel's own notes
 * ("Linux", or "Xen" for the PVH entry QEMU boots it by); any other program is refused.
 */
async function vmlinux(head: Buffer, read: ReadAt, name: string): Promise<DetectedType> {
  const notAKernel = () => new NovaError('invalid_argument', `${name} is an ELF file but no Linux kernel (it carries none of a vmlinux's notes)`);
  if (head.length < 64 || head[4] !== 2 || head[5] !== 1) throw notAKernel();
  const phoff = Number(head.readBigUInt64LE(0x20));
  const phentsize = head.readUInt16LE(0x36);
  const phnum = head.readUInt16LE(0x38);
  if (phentsize < 56 || phnum === 0 || phnum > 64) throw notAKernel();
  const table = await read(phoff, phentsize * phnum);
  for (let i = 0; i < phnum && (i + 1) * phentsize <= table.length; i += 1) {
    const entry = table.subarray(i * phentsize);
    if (entry.readUInt32LE(0) !== PT_NOTE) continue;
    const size = Math.min(Number(entry.readBigUInt64LE(0x20)), MAX_NOTES_BYTES);
    const owners = noteOwners(await read(Number(entry.readBigUInt64LE(0x08)), size));
    if (owners.has('Linux') || owners.has('Xen')) return { type: 'kernel', detail: 'ELF vmlinux' };
  }
  throw notAKernel();
}

/** The owner names of the ELF notes in a note segment. */
function noteOwners(notes: Buffer): Set<string> {
  const owners = new Set<string>();
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= notes.length; ) {
    const nameSize = notes.readUInt32LE(at);
    const descSize = notes.readUInt32LE(at + 4);
    if (nameSize > 0) owners.add(notes.subarray(at + 12, at + 12 + nameSize).toString('latin1').replace(/\0+$/, ''));
    at += 12 + align4(nameSize) + align4(descSize);
  }
  return owners;
}

/** A cpio archive, bare, gzipped (looked inside: a gzipped disk is no initrd) or in another compressor the kernel knows. */
function initrdOf(head: Buffer): DetectedType | null {
  const isCpio = (b: Buffer) => CPIO_MAGIC.includes(b.subarray(0, 6).toString('latin1'));
  if (isCpio(head)) return { type: 'initrd', detail: 'cpio' };
  if (head.subarray(0, 2).equals(GZIP)) {
    const inner = gunzipHead(head);
    return inner && isCpio(inner) ? { type: 'initrd', detail: 'cpio (gzip)' } : null;
  }
  const compressor = COMPRESSED.find(([, magic]) => head.subarray(0, magic.length).equals(magic));
  return compressor ? { type: 'initrd', detail: `cpio (${compressor[0]})` } : null;
}

/** The start of a gzip stream from its first bytes alone (the rest of the file is never needed). */
function gunzipHead(head: Buffer): Buffer | null {
  try {
    // A sync flush makes a truncated stream yield what it has instead of failing.
    return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return null;
  }
}
