// Every disk image a caller names, and every disk a VM is about to use, is untrusted: its
// header may name other files (a backing file, an external data file, VMDK extents)
// that QEMU's drivers would open on their own. The chain is walked here one file at a
// time: each file opened confined (PathGuard: inside the allowed folders, no link, the
// caller's to read), its header checked by the helper (disk-header.ts), then read by
// `qemu-img info` from that descriptor under a resource limit with the format given,
// which reports the backing file without opening it. `qemu-img info --backing-chain`
// would open each backing file by its name before anything could check it, so the
// helper follows the chain itself. What comes out is the list of files with their
// descriptors still open: imports and copies read the chain through them (DiskSource),
// and QEMU gets it written out as explicit -blockdev nodes.
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { declaredFormatProblem, formatFromHeader, HEADER_BYTES, type DiskFileFormat } from './disk-header.js';
import type { GuardedFile, PathGuard } from './path-guard.js';
import type { QemuImg, QemuImgInfo } from './qemu-img.js';
import { STDIN, type ChainNode, type DiskSource } from './qemu-img-argv.js';
import type { Credentials } from './run-as-user.js';

/** Deeper chains are refused: no disk Nova makes comes near, and each level is a file opened. */
export const MAX_CHAIN_DEPTH = 16;

/** Which formats a use of a chain takes, and what to tell a caller whose file is another. */
export interface FormatRule {
  accepted: ReadonlySet<DiskFileFormat>;
  otherwise: string;
}

export const VM_DISK_FORMATS: FormatRule = { accepted: new Set(['qcow2', 'raw']), otherwise: 'VMs use qcow2 and raw disks: import it into the library first' };
export const IMPORT_FORMATS: FormatRule = { accepted: new Set(['raw', 'qcow2', 'vmdk', 'vdi', 'vhdx']), otherwise: 'Nova imports raw, qcow2, vmdk, vdi and vhdx' };

export interface ChainFile extends GuardedFile {
  format: DiskFileFormat;
  virtualSize: number;
  actualSize: number | null;
}

export interface InspectOptions {
  /** Words for messages: "the image to import". */
  what: string;
  /** Accepted anywhere in the chain. */
  formats: FormatRule;
  /** The top's format as Nova recorded it (a VM's disk); read from its header when absent. */
  format?: DiskFileFormat;
  /** Whose rights each file is checked against (null: root, or Nova's own work). */
  caller?: Credentials | null;
  /** The top is to be written (a disk used in place): the caller needs the right to. */
  topWritable?: boolean;
  /** The top is opened read-write, for QEMU to get that descriptor; everything below stays read-only. */
  openTopWritable?: boolean;
  signal?: AbortSignal;
  /**
   * The top, already open: a file the caller handed over by descriptor. It has no folder
   * to look for backing files in, so a top that names one is refused.
   */
  top?: GuardedFile;
}

/** A disk's files, top first, each still open: close() when done. */
export class DiskChain {
  constructor(readonly files: readonly ChainFile[]) {}

  get top(): ChainFile {
    return this.files[0]!;
  }

  /** The files below the top, nearest first. */
  get backing(): readonly ChainFile[] {
    return this.files.slice(1);
  }

  /**
   * The chain as qemu-img reads it: the top as its stdin, the files below by this
   * process's /proc/PID/fd/N, which name the very files opened here (a child inherits
   * only fds 0-2; qemu-img runs as root, so it may open them), whatever happens to their
   * paths meanwhile.
   */
  source(): DiskSource {
    const nodes: ChainNode[] = this.files.map((f, i) => ({ filename: i === 0 ? STDIN : `/proc/${process.pid}/fd/${f.handle.fd}`, format: f.format }));
    return { stdinFd: this.top.handle.fd, nodes };
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.handle.close().catch(() => undefined)));
  }
}

export class DiskInspector {
  constructor(
    private readonly guard: PathGuard,
    private readonly img: QemuImg,
  ) {}

  async inspect(path: string, opts: InspectOptions): Promise<DiskChain> {
    const files: ChainFile[] = [];
    try {
      let next: { path: string; format: DiskFileFormat | null; what: string } | null = { path, format: opts.format ?? null, what: opts.what };
      while (next) {
        if (files.length === MAX_CHAIN_DEPTH) throw refused(opts.what, path, `has a backing chain deeper than ${MAX_CHAIN_DEPTH} files`);
        const top = files.length === 0;
        const file =
          top && opts.top ? opts.top : await this.guard.open(next.what, next.path, { caller: opts.caller ?? null, write: top && opts.topWritable === true, openWritable: top && opts.openTopWritable === true });
        const { format, info } = await this.read(file, next.format, next.what, opts).catch(async (err: unknown) => {
          await file.handle.close();
          throw err;
        });
        files.push({ ...file, format, virtualSize: info['virtual-size'], actualSize: info['actual-size'] ?? null });
        if (files.some((f, i) => i < files.length - 1 && f.stats.dev === file.stats.dev && f.stats.ino === file.stats.ino)) {
          throw refused(opts.what, path, `has a backing chain that comes back to ${file.path}`);
        }
        if (opts.top && info['backing-filename'] !== undefined) {
          throw refused(opts.what, path, `names a backing file ${JSON.stringify(info['backing-filename'])}; a disk handed over by descriptor must stand alone (qemu-img convert merges its chain into one file)`);
        }
        next = this.backingOf(file.path, info, next.what, opts);
      }
      return new DiskChain(files);
    } catch (err) {
      await new DiskChain(files).close();
      throw err;
    }
  }

  /** Inspects, lets `work` use the open chain, and closes it whatever happens. */
  async with<T>(path: string, opts: InspectOptions, work: (chain: DiskChain) => Promise<T>): Promise<T> {
    const chain = await this.inspect(path, opts);
    try {
      return await work(chain);
    } finally {
      await chain.close();
    }
  }

  /** The file's format (as recorded, or as its header says) and qemu-img's report of it. */
  private async read(file: GuardedFile, recorded: DiskFileFormat | null, what: string, opts: InspectOptions): Promise<{ format: DiskFileFormat; info: QemuImgInfo }> {
    const head = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await file.handle.read(head, 0, HEADER_BYTES, 0);
    const header = head.subarray(0, bytesRead);
    let format = recorded;
    if (format) {
      const problem = declaredFormatProblem(format, header);
      if (problem) throw refused(what, file.path, problem);
    } else {
      const verdict = formatFromHeader(header);
      if (!verdict.format) throw refused(what, file.path, verdict.problem);
      format = verdict.format;
    }
    if (!opts.formats.accepted.has(format)) throw new NovaError('unsupported', `${what} ${file.path} is ${format}; ${opts.formats.otherwise}`, { path: file.path });
    const info = await this.img.inspect(file.handle.fd, format, `${what} ${file.path}`, { ...(opts.signal ? { signal: opts.signal } : {}) });
    const data = info['format-specific']?.data;
    if (data?.['data-file'] !== undefined) {
      throw refused(what, file.path, `keeps its data in an external data file (${JSON.stringify(data['data-file'])}); Nova takes only self-contained disks`);
    }
    if (data?.extents?.some((e) => e.filename !== STDIN)) throw refused(what, file.path, 'is a VMDK whose extents are other files; Nova takes only single-file VMDKs');
    return { format, info };
  }

  /** Where the chain goes next: a path inside the allowed folders with its recorded format, or nowhere. */
  private backingOf(path: string, info: QemuImgInfo, what: string, opts: InspectOptions): { path: string; format: DiskFileFormat; what: string } | null {
    const name = info['backing-filename'];
    if (name === undefined) return null;
    // "nbd:...", "json:{...}", "http://...": a protocol, not a file (QEMU's rule: a colon before any slash).
    if (/^[^/]*:/.test(name)) throw refused(what, path, `names a backing file ${JSON.stringify(name)} that is not a plain file path`);
    const full = normalize(isAbsolute(name) ? name : join(dirname(path), name));
    try {
      this.guard.rootOf(what, full);
    } catch {
      throw refused(what, path, `names a backing file ${JSON.stringify(full)}, which is outside the allowed folders (${this.guard.roots.join(', ')})`);
    }
    const format = info['backing-filename-format'];
    if (format === undefined) {
      // Guessing it is how a raw disk's guest-written bytes get read as a header.
      throw refused(what, path, `names a backing file ${JSON.stringify(full)} without its format; record it with qemu-img rebase -u -b ${full} -F FORMAT`);
    }
    if (!opts.formats.accepted.has(format as DiskFileFormat)) throw new NovaError('unsupported', `${what} ${path} has a ${format} backing file; ${opts.formats.otherwise}`, { path });
    return { path: full, format: format as DiskFileFormat, what: `the backing file of ${path}` };
  }
}

function refused(what: string, path: string, why: string): NovaError {
  return new NovaError('invalid_argument', `${what} ${path} ${why}`, { path });
}
