// The last bytes of a file: what a serial console printed while nobody watched lives only
// in its log, and whoever opens the console (the local proxy, or `nova connect` on a remote
// host) replays this much of it first.
import { open } from 'node:fs/promises';

export const SERIAL_REPLAY_BYTES = 64 * 1024;

export async function readFileTail(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    return buf;
  } finally {
    await fh.close();
  }
}
