// The wire format of a cold move: GNU tar archives, one per part of the guest, carried in
// length-prefixed frames over the TLS connection and ended by an empty frame, after which
// the destination answers one line ("ok" or what failed). The frames let the destination
// know the stream is complete without a half-closed TLS connection; tar keeps holes of
// sparse disks out of the stream and carries owners, modes and extended attributes (an
// overlay's whiteouts and opaque directories) as they are.
import { NovaError } from '../../../src-shared/errors.js';

/** One piece of the copy: `entry` (a file or a folder, relative to `dir`) is named `as` in the stream. */
export interface MovePart {
  dir: string;
  entry: string;
  as: string;
}

/** The largest frame the destination takes; the source writes at most this much per frame. */
export const MAX_FRAME_BYTES = 1024 * 1024;
const ARCHIVE_FLAGS = ['--numeric-owner', '--xattrs', '--xattrs-include=*'];

/** GNU tar's regular-expression syntax, so an entry's name matches only itself. */
function tarRegexEscape(text: string): string {
  return text.replace(/[\\^$.*[\]+?(){}|,&]/g, (c) => `\\${c}`);
}

/** The archive of one part on stdout; the renaming spares symlink targets (flag S), which stay as the guest wrote them. */
export function tarCreateArgv(part: MovePart, tar = 'tar'): string[] {
  if (/[\\,&\n]/.test(part.as)) throw new NovaError('internal', `a moved part cannot be called ${JSON.stringify(part.as)}`);
  const rename = part.entry === part.as ? [] : ['--transform', `s,^${tarRegexEscape(part.entry)},${part.as},S`];
  return [tar, '--create', '--file=-', '--sparse', ...ARCHIVE_FLAGS, '--directory', part.dir, ...rename, '--', part.entry];
}

/**
 * Unpacks the stream's archives one after another (--ignore-zeros reads past each one's end)
 * into `dir`, with the owners and modes they carry; members naming absolute paths or `..` are
 * refused by tar itself.
 */
export function tarExtractArgv(dir: string, tar = 'tar'): string[] {
  return [tar, '--extract', '--file=-', '--ignore-zeros', '--preserve-permissions', '--same-owner', ...ARCHIVE_FLAGS, '--directory', dir];
}

export function frame(data: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  return Buffer.concat([head, data]);
}

export const END_FRAME = frame(new Uint8Array(0));

/** Splits the received bytes back into frames; an empty frame is the end of the stream. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  ended = false;

  /** The payloads complete so far; throws on a frame larger than any source writes. */
  push(chunk: Buffer): Buffer[] {
    if (this.ended) throw new NovaError('invalid_argument', 'the source sent data after the end of the copy');
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const size = this.pending.readUInt32BE(0);
      if (size > MAX_FRAME_BYTES) throw new NovaError('invalid_argument', `the source sent a frame of ${size} bytes, more than ${MAX_FRAME_BYTES}`);
      if (this.pending.length < 4 + size) break;
      const payload = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      if (size === 0) {
        this.ended = true;
        if (this.pending.length) throw new NovaError('invalid_argument', 'the source sent data after the end of the copy');
        break;
      }
      out.push(payload);
    }
    return out;
  }
}
