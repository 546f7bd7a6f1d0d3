// Every qemu-img command line the VM engine runs, built by pure functions so each one
// has a golden test (golden/tools/). qemu-img.ts runs them; nothing else builds them.

/** Which qemu-img program: the first argv element. */
export const QEMU_IMG = 'qemu-img';

export const qemuImgArgv = {
  /** A new, empty qcow2 disk. */
  create(path: string, sizeBytes: number, binary = QEMU_IMG): string[] {
    return [binary, 'create', '-q', '-f', 'qcow2', path, String(sizeBytes)];
  },

  /** A qcow2 overlay whose reads fall through to `backing` (linked clones, images, templates). */
  overlay(path: string, backing: string, backingFormat: string, binary = QEMU_IMG): string[] {
    return [binary, 'create', '-q', '-f', 'qcow2', '-b', backing, '-F', backingFormat, path];
  },

  /** `shareLock` (-U) reads an image a running QEMU holds locked: sizes and snapshots only. */
  info(path: string, opts: { shareLock?: boolean } = {}, binary = QEMU_IMG): string[] {
    return [binary, 'info', '--output=json', ...(opts.shareLock ? ['-U'] : []), path];
  },

  /** Only Nova's own qcow2 overlays are resized: the format is given, never probed. */
  resize(path: string, sizeBytes: number, binary = QEMU_IMG): string[] {
    return [binary, 'resize', '-q', '-f', 'qcow2', path, String(sizeBytes)];
  },

  /** A full copy with `-p`: qemu-img then prints "(NN.NN/100%)" as it goes. */
  convert(src: string, dst: string, opts: { srcFormat?: string; dstFormat: string }, binary = QEMU_IMG): string[] {
    return [binary, 'convert', '-p', ...(opts.srcFormat ? ['-f', opts.srcFormat] : []), '-O', opts.dstFormat, src, dst];
  },

  /** Internal snapshots of a disk no QEMU has open: create (-c), apply (-a), delete (-d). */
  snapshot(action: 'create' | 'apply' | 'delete', path: string, tag: string, binary = QEMU_IMG): string[] {
    const flag = { create: '-c', apply: '-a', delete: '-d' }[action];
    return [binary, 'snapshot', '-q', flag, tag, path];
  },
};

/** The percentage in one line of `convert -p` output ("    (42.00/100%)"), or null. */
export function parseConvertProgress(line: string): number | null {
  const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(line);
  return m ? Number(m[1]) : null;
}
