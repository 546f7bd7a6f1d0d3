// One page of a VM's serial log for a caller that cannot open the file itself (a remote
// `nova logs vm`): opened inside the VMs' folder without following links out of it,
// read from a byte offset, so a follower asks again from where it stopped.
import { openConfined } from '../safe-fs/confined-open.js';

export interface LogPage {
  text: string;
  nextOffset: number;
  size: number;
}

/** No log yet (never started) reads as empty; an offset past the end (a new run) starts over. */
export async function readLogPage(root: string, logPath: string, offset: number, maxBytes: number): Promise<LogPage> {
  const opened = await openConfined(root, logPath, { what: 'the serial log' }).catch(() => null);
  if (!opened) return { text: '', nextOffset: 0, size: 0 };
  const file = opened.handle;
  try {
    const { size } = await file.stat();
    const from = offset > size ? 0 : offset;
    const buf = Buffer.alloc(Math.min(maxBytes, size - from));
    const { bytesRead } = await file.read(buf, 0, buf.length, from);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), nextOffset: from + bytesRead, size };
  } finally {
    await file.close();
  }
}
