// The smallest OCI bundle that proves a runtime can start a container here: a rootfs
// holding one static x86-64 ELF that exits 0, and a config.json with the namespaces a
// capsule gets. Built in code so the probe needs no image, network or package.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOAD_ADDRESS = 0x400000n;
const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
// mov eax, 60 (exit); xor edi, edi (status 0); syscall
const EXIT_ZERO_CODE = [0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05];

/** A 129-byte static ELF64 executable for x86-64 Linux that calls exit(0). */
export function exitZeroElf(): Uint8Array {
  const codeOffset = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE;
  const size = codeOffset + EXIT_ZERO_CODE.length;
  const buf = Buffer.alloc(size);
  // e_ident: magic, ELFCLASS64, little endian, version 1, System V ABI
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  buf.writeUInt16LE(2, 16); // e_type: ET_EXEC
  buf.writeUInt16LE(0x3e, 18); // e_machine: x86-64
  buf.writeUInt32LE(1, 20); // e_version
  buf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(codeOffset), 24); // e_entry
  buf.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  buf.writeBigUInt64LE(0n, 40); // e_shoff: no section headers
  buf.writeUInt32LE(0, 48); // e_flags
  buf.writeUInt16LE(ELF_HEADER_SIZE, 52); // e_ehsize
  buf.writeUInt16LE(PROGRAM_HEADER_SIZE, 54); // e_phentsize
  buf.writeUInt16LE(1, 56); // e_phnum
  buf.writeUInt16LE(0, 58); // e_shentsize
  buf.writeUInt16LE(0, 60); // e_shnum
  buf.writeUInt16LE(0, 62); // e_shstrndx
  // One PT_LOAD segment mapping the whole file, readable and executable.
  const ph = ELF_HEADER_SIZE;
  buf.writeUInt32LE(1, ph); // p_type: PT_LOAD
  buf.writeUInt32LE(5, ph + 4); // p_flags: R + X
  buf.writeBigUInt64LE(0n, ph + 8); // p_offset
  buf.writeBigUInt64LE(LOAD_ADDRESS, ph + 16); // p_vaddr
  buf.writeBigUInt64LE(LOAD_ADDRESS, ph + 24); // p_paddr
  buf.writeBigUInt64LE(BigInt(size), ph + 32); // p_filesz
  buf.writeBigUInt64LE(BigInt(size), ph + 40); // p_memsz
  buf.writeBigUInt64LE(0x1000n, ph + 48); // p_align
  buf.set(EXIT_ZERO_CODE, codeOffset);
  return new Uint8Array(buf);
}

export const PROBE_EXECUTABLE = '/probe';

/** The probe container's config.json: read-only root, no terminal, own namespaces. */
export function probeBundleConfig(hostname: string): Record<string, unknown> {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [PROBE_EXECUTABLE],
      env: ['PATH=/'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
    },
  };
}

/** Writes config.json and rootfs/ (with the probe executable) into bundleDir. */
export async function writeProbeBundle(bundleDir: string, hostname: string): Promise<void> {
  const rootfs = join(bundleDir, 'rootfs');
  // Mount points must exist before the runtime makes the root read-only.
  await mkdir(join(rootfs, 'proc'), { recursive: true });
  await mkdir(join(rootfs, 'dev'), { recursive: true });
  const exe = join(rootfs, PROBE_EXECUTABLE.slice(1));
  await writeFile(exe, exitZeroElf());
  await chmod(exe, 0o755);
  await writeFile(join(bundleDir, 'config.json'), JSON.stringify(probeBundleConfig(hostname), null, 2) + '\n');
}
