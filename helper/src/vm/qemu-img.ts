// qemu-img, the disk engine: create, linked overlays, info, resize, convert with
// progress, and internal snapshots of stopped disks. argv arrays only; JSON output parsed.
import { execa } from 'execa';
import { NovaError } from '../../../src-shared/errors.js';

export interface QemuImgInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  snapshots?: Array<{ name: string; 'vm-state-size': number; 'date-sec': number }>;
}

const TOOL_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

export class QemuImg {
  constructor(private readonly binary = 'qemu-img') {}

  async create(path: string, sizeBytes: number): Promise<void> {
    await this.run(['create', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
  }

  /** A qcow2 overlay whose reads fall through to `backing` (linked clones, images). */
  async createOverlay(path: string, backing: string, backingFormat: string): Promise<void> {
    await this.run(['create', '-q', '-f', 'qcow2', '-b', backing, '-F', backingFormat, path]);
  }

  async info(path: string, opts: { shareLock?: boolean } = {}): Promise<QemuImgInfo> {
    // -U reads an image a running QEMU holds locked (sizes and snapshots only).
    const out = await this.run(['info', '--output=json', ...(opts.shareLock ? ['-U'] : []), path]);
    return JSON.parse(out) as QemuImgInfo;
  }

  async resize(path: string, sizeBytes: number): Promise<void> {
    await this.run(['resize', '-q', path, String(sizeBytes)]);
  }

  /** Converts with `-p`, reporting percent as qemu-img prints it ("    (42.00/100%)\r"). */
  async convert(
    src: string,
    dst: string,
    opts: { srcFormat?: string; dstFormat: string; onProgress?: (percent: number) => void; signal?: AbortSignal },
  ): Promise<void> {
    const args = ['convert', '-p', ...(opts.srcFormat ? ['-f', opts.srcFormat] : []), '-O', opts.dstFormat, src, dst];
    const proc = execa(this.binary, args, { env: TOOL_ENV, extendEnv: false, stdin: 'ignore', reject: false, cancelSignal: opts.signal, timeout: 6 * 3600_000 });
    let buf = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const parts = buf.split(/[\r\n]/);
      buf = parts.pop() ?? '';
      for (const part of parts) {
        const pct = parseConvertProgress(part);
        if (pct !== null) opts.onProgress?.(pct);
      }
    });
    const r = await proc;
    if (r.isCanceled) throw new NovaError('cancelled', `conversion of ${src} was cancelled`);
    if (r.exitCode !== 0) throw new NovaError('internal', `qemu-img convert failed: ${String(r.stderr).trim()}`);
    opts.onProgress?.(100);
  }

  async snapshotCreate(path: string, tag: string): Promise<void> {
    await this.run(['snapshot', '-c', tag, path]);
  }
  async snapshotApply(path: string, tag: string): Promise<void> {
    await this.run(['snapshot', '-a', tag, path]);
  }
  async snapshotDelete(path: string, tag: string): Promise<void> {
    await this.run(['snapshot', '-d', tag, path]);
  }

  private async run(args: string[]): Promise<string> {
    const r = await execa(this.binary, args, { env: TOOL_ENV, extendEnv: false, stdin: 'ignore', reject: false, timeout: 600_000 });
    if (r.exitCode !== 0) {
      const msg = String(r.stderr || r.stdout).trim();
      throw new NovaError('internal', `qemu-img ${args[0]} failed: ${msg}`, { argv: args });
    }
    return String(r.stdout);
  }
}

export function parseConvertProgress(line: string): number | null {
  const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(line);
  return m ? Number(m[1]) : null;
}
