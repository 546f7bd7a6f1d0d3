// qemu-img, the disk engine: create, linked overlays, info, resize, convert with
// progress, and internal snapshots of stopped disks. Command lines come from
// qemu-img-argv.ts; every run goes through the ProcessRunner, with a deadline and the
// caller's AbortSignal, so a cancelled operation stops qemu-img where it is.
import { NovaError } from '../../../src-shared/errors.js';
import { ProcessRunner } from '../process/process-runner.js';
import { parseConvertProgress, QEMU_IMG, qemuImgArgv } from './qemu-img-argv.js';

export { parseConvertProgress } from './qemu-img-argv.js';

export interface QemuImgInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  snapshots?: Array<{ name: string; 'vm-state-size': number; 'date-sec': number }>;
}

/** Metadata changes (create, overlay, snapshot) on a large qcow2 still finish in minutes. */
const CHANGE_TIMEOUT_MS = 10 * 60_000;
const INFO_TIMEOUT_MS = 60_000;
const CONVERT_TIMEOUT_MS = 6 * 3600_000;

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

  async createOverlay(path: string, backing: string, backingFormat: string, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.overlay(path, backing, backingFormat, this.binary), `creating the overlay ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }

  async info(path: string, opts: { shareLock?: boolean; signal?: AbortSignal } = {}): Promise<QemuImgInfo> {
    const out = await this.run(qemuImgArgv.info(path, opts, this.binary), `reading ${path}`, INFO_TIMEOUT_MS, opts.signal);
    try {
      return JSON.parse(out) as QemuImgInfo;
    } catch {
      throw new NovaError('internal', `qemu-img info ${path} printed no JSON`, { stdout: out.slice(0, 500) });
    }
  }

  async resize(path: string, sizeBytes: number, opts: StepOptions = {}): Promise<void> {
    await this.run(qemuImgArgv.resize(path, sizeBytes, this.binary), `resizing ${path}`, CHANGE_TIMEOUT_MS, opts.signal);
  }

  /** Copies with progress in percent as qemu-img prints it; aborting kills qemu-img (`cancelled`). */
  async convert(
    src: string,
    dst: string,
    opts: { srcFormat?: string; dstFormat: string; onProgress?: (percent: number) => void; signal?: AbortSignal },
  ): Promise<void> {
    const onLine = (line: string, stream: 'stdout' | 'stderr') => {
      if (stream !== 'stdout') return;
      const pct = parseConvertProgress(line);
      if (pct !== null) opts.onProgress?.(pct);
    };
    await this.runner.run({
      argv: qemuImgArgv.convert(src, dst, opts, this.binary),
      timeoutMs: CONVERT_TIMEOUT_MS,
      what: `qemu-img convert of ${src}`,
      maxOutputBytes: 64 * 1024,
      onLine,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    opts.onProgress?.(100);
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
