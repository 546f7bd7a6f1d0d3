// Newline-delimited JSON frames with a size limit, for the helper socket.
// Kept free of Node APIs so the same decoder serves the helper, main and tests.
// An oversize frame is reported once and skipped up to its terminating newline,
// so one bad client message never desynchronises the stream.

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export type DecodedFrame =
  | { kind: 'frame'; text: string }
  | { kind: 'oversize'; bytes: number };

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private pending = 0;
  private discarding = false;
  private discarded = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feed raw bytes; returns every complete frame (or oversize report) they finish. */
  push(chunk: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (nl !== -1 && this.pending === 0 && !this.discarding && piece.length <= this.maxFrameBytes) {
        // The common case: a whole frame inside one chunk, decoded without copying.
        if (piece.length > 0) out.push({ kind: 'frame', text: this.utf8.decode(piece) });
        start = nl + 1;
        continue;
      }
      if (this.discarding) {
        this.discarded += piece.length;
      } else if (this.pending + piece.length > this.maxFrameBytes) {
        this.discarding = true;
        this.discarded = this.pending + piece.length;
        this.chunks = [];
        this.pending = 0;
      } else if (piece.length > 0) {
        this.chunks.push(piece.slice());
        this.pending += piece.length;
      }
      if (nl === -1) break;
      if (this.discarding) {
        out.push({ kind: 'oversize', bytes: this.discarded });
        this.discarding = false;
        this.discarded = 0;
      } else if (this.pending > 0) {
        out.push({ kind: 'frame', text: this.takeText() });
      }
      start = nl + 1;
    }
    return out;
  }

  /** True while an oversize frame is being skipped: the caller may answer early. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  private takeText(): string {
    const joined = new Uint8Array(this.pending);
    let offset = 0;
    for (const c of this.chunks) {
      joined.set(c, offset);
      offset += c.length;
    }
    this.chunks = [];
    this.pending = 0;
    return this.utf8.decode(joined);
  }
}

export function encodeFrame(message: unknown): string {
  // JSON.stringify never emits a raw newline, so one line is one frame.
  return JSON.stringify(message) + '\n';
}
