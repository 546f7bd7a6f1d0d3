// qemu-img, the disk engine: create, linked overlays, inspection of untrusted files,
// info on Nova's own, convert with progress, and internal snapshots of stopped disks.
// Command lines come from qemu-img-argv.ts; every run goes through the ProcessRunner,
// with a deadline and the caller's AbortSignal, so a cancelled operation stops qemu-img
// where it is. Files a caller can influence reach qemu-img as descriptors (DiskSource).
import { NovaError } from '../../../src-shared/errors.js';
import { ProcessRunner } from '../process/process-runner.js';
import type { DiskFileFormat } from './disk-header.js';
import { parseConvertProgress, QEMU_IMG, qemuImgArgv, type DiskSource } from './qemu-img-argv.js';

export { parseConvertProgress } from './qemu-img-argv.js';

export interface QemuImgInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'backing-filename-format'?: string;
  'full-backing-filename'?: string;
  'format-specific'?: { type?: string; data?: { 'data-file'?: string; extents?: Array<{ filename?: string }> } };
  snapshots?: Array<{ name: string; 'vm-state-size': number; 'date-sec': number }>;
}

/** Metadata changes (create, overlay, snapshot) on a large qcow2 still finish in minutes. */
const CHANGE_TIMEOUT_MS = 10 * 60_000;
const INFO_TIMEOUT_MS = 60_000;
const CONVERT_TIMEOUT_MS = 6 * 3600_000;
/** A header's description is a few KiB; more is not a disk's. */
const INFO_MAX_BYTES = 1024 * 1024;

export interface StepOptions {
  signal?: AbortSignal;
}

export class QemuImg {
  constructor(
    private readonly runner = new ProcessRunner(),
    private readonly binary = QEMU_IMG,
  ) {}

  async create(path: string, sizeBytes: number, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.create(path, sizeBytes, this.binary), `creating ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }

  async createOverlay(path: string, backing: string, backingFormat: DiskFileFormat, sizeBytes: number, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.overlay(path, backing, backingFormat, sizeBytes, this.binary), `creating the overlay ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }

  /** One file a caller may have written, by descriptor, as `format`, under a resource limit. */
  async inspect(fd: number, format: DiskFileFormat, what: string, opts: StepOptions = {}): Promise<QemuImgInfo> {
    const r = await this.runner.run({
      argv: qemuImgArgv.inspect(format, this.binary),
      stdinFd: fd,
      timeoutMs: INFO_TIMEOUT_MS,
      maxOutputBytes: INFO_MAX_BYTES,
      allowFailure: true,
      what: `qemu-img: reading ${what}`,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (r.exitCode !== 0) {
      // The file is the caller's: what qemu-img says about it is theirs to read.
      const said = r.stderr.trim().split('\n').pop()?.replace(/^qemu-img: (?:\/dev\/stdin: )?/, '') ?? '';
      throw new NovaError('invalid_argument', `${what} is not a readable ${format} image${said ? `: ${said}` : ''}`);
    }
    return parseInfo(r.stdout, what);
  }

  async info(path: string, opts: { format: DiskFileFormat; shareLock?: boolean; signal?: AbortSignal }): Promise<QemuImgInfo> {
    return parseInfo(await this.run(qemuImgArgv.info(path, opts, this.binary), `reading ${path}`, INFO_TIMEOUT_MS, opts.signal), path);
  }

  /** A standalone copy of the whole chain, with progress in percent; aborting kills qemu-img (`cancelled`). */
  async convert(source: DiskSource, dst: string, opts: { dstFormat: DiskFileFormat; what: string; onProgress?: (percent: number) => void; signal?: AbortSignal }): Promise<void> {
    const onLine = (line: string, stream: 'stdout' | 'stderr') => {
      if (stream !== 'stdout') return;
      const pct = parseConvertProgress(line);
      if (pct !== null) opts.onProgress?.(pct);
    };
    await this.runner.run({
      argv: qemuImgArgv.convert(source, dst, opts.dstFormat, this.binary),
      stdinFd: source.stdinFd,
      timeoutMs: CONVERT_TIMEOUT_MS,
      what: `qemu-img convert of ${opts.what}`,
      maxOutputBytes: 64 * 1024,
      onLine,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    opts.onProgress?.(100);
  }

  /** Grows the disk open (read-write) at `fd`. */
  async resize(fd: number, format: DiskFileFormat, sizeBytes: number, what: string, opts: StepOptions = {}): Promise<void> {
    await this.runner.run({ argv: qemuImgArgv.resize(format, sizeBytes, this.binary), stdinFd: fd, timeoutMs: CHANGE_TIMEOUT_MS, what: `qemu-img: resizing ${what}`, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  async snapshotCreate(path: string, tag: string, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.snapshot('create', path, tag, this.binary), `snapshot ${tag} of ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }
  async snapshotApply(path: string, tag: string, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.snapshot('apply', path, tag, this.binary), `restoring snapshot ${tag} of ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }
  async snapshotDelete(path: string, tag: string, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.snapshot('delete', path, tag, this.binary), `deleting snapshot ${tag} of ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }

  private async run(argv: string[], what: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
    const r = await this.runner.run({ argv, timeoutMs, what: `qemu-img: ${what}`, ...(signal ? { signal } : {}) });
    return r.stdout;
  }
}

function parseInfo(out: string, what: string): QemuImgInfo {
  try {
    return JSON.parse(out) as QemuImgInfo;
  } catch {
    throw new NovaError('internal', `qemu-img info of ${what} printed no JSON`, { stdout: out.slice(0, 500) });
  }
}
