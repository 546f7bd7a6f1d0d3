// What a disk file's first bytes say it is, read by the helper from a descriptor it
// opened, before any qemu-img sees the file. qemu-img is then always told the format
// (never left to probe), and a file whose own header would make QEMU's drivers open
// other files before anything can be checked (a VMDK descriptor's extents) is refused
// here, as is a qcow2 whose header flags an external data file (older qemu-img opened it
// even for `info`). Backing files are read from qemu-img's answer instead (disk-chain.ts):
// `qemu-img info` reports those without opening them.

/** The disk formats Nova reads: the library converts the others to qcow2; VMs run qcow2 and raw. */
export type DiskFileFormat = 'raw' | 'qcow2' | 'vmdk' | 'vdi' | 'vhdx';

/** Enough bytes for every check below (the VDI signature sits at offset 64). */
export const HEADER_BYTES = 512;

export type HeaderVerdict = { format: DiskFileFormat; problem: null } | { format: null; problem: string };

const ascii = (head: Buffer, at: number, text: string) => head.subarray(at, at + text.length).toString('latin1') === text;

const SEVERAL_FILES = 'is a VMDK made of several files (its descriptor names extents elsewhere); import a single-file copy (qemu-img convert -O qcow2) instead';

/** Formats QEMU knows but Nova does not take, by their magic. */
const UNSUPPORTED: Array<[offset: number, magic: string, name: string]> = [
  [0, 'QED\0', 'QED'],
  [0, 'LUKS\xba\xbe', 'LUKS'],
  [0, 'conectix', 'VHD (vpc)'],
];

/** A sparse VMDK (KDMV) with no capacity of its own takes its extents from an embedded descriptor. */
function vmdkProblem(head: Buffer): string | null {
  if (ascii(head, 0, 'COWD')) return null;
  if (ascii(head, 0, 'KDMV')) return head.length >= 20 && head.readBigUInt64LE(12) > 0n ? null : SEVERAL_FILES;
  return SEVERAL_FILES;
}

/** qcow2 v3's incompatible-features word (offset 72) and its "external data file" bit. */
const QCOW2_INCOMPATIBLE_AT = 72;
const QCOW2_EXTERNAL_DATA_FILE = 1n << 2n;

function qcow2Problem(head: Buffer): string | null {
  if (head.length < QCOW2_INCOMPATIBLE_AT + 8 || head.readUInt32BE(4) < 3) return null;
  const incompatible = head.readBigUInt64BE(QCOW2_INCOMPATIBLE_AT);
  return incompatible & QCOW2_EXTERNAL_DATA_FILE ? 'keeps its data in an external data file; Nova takes only self-contained disks' : null;
}

/** The format a file's header declares; anything that declares none is raw, which names no other file. */
export function formatFromHeader(head: Buffer): HeaderVerdict {
  if (ascii(head, 0, 'QFI\xfb')) {
    const problem = qcow2Problem(head);
    return problem ? { format: null, problem } : { format: 'qcow2', problem: null };
  }
  if (ascii(head, 0, 'KDMV') || ascii(head, 0, 'COWD') || ascii(head, 0, '# Disk DescriptorFile')) {
    const problem = vmdkProblem(head);
    return problem ? { format: null, problem } : { format: 'vmdk', problem: null };
  }
  if (ascii(head, 0, 'vhdxfile')) return { format: 'vhdx', problem: null };
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return { format: 'vdi', problem: null };
  for (const [at, magic, name] of UNSUPPORTED) {
    if (ascii(head, at, magic)) return { format: null, problem: `is a ${name} image; Nova imports raw, qcow2, vmdk, vdi and vhdx` };
  }
  return { format: 'raw', problem: null };
}

/**
 * Why a file that something else declares to be `format` (a VM's definition, the header
 * above it in a chain) must not be handed to qemu-img as such, or null. VMDK's and
 * qcow2's drivers open other files while they read a header; a raw file is never looked into.
 */
export function declaredFormatProblem(format: DiskFileFormat, head: Buffer): string | null {
  if (format === 'vmdk') return vmdkProblem(head);
  if (format === 'qcow2' && ascii(head, 0, 'QFI\xfb')) return qcow2Problem(head);
  return null;
}
