// The archive ociImage.import reads (a rootfs tarball, maybe gzipped, an OCI or a Docker
// archive): opened once, without following links, and read only through that descriptor,
// which tar, skopeo and umoci get as their stdin. A path swapped after the check changes
// nothing. image-store.ts runs the tools; the RPC handler opens a caller's file.
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { openConfined } from '../safe-fs/confined-open.js';

/** How a tool names the archive handed to it as stdin. */
export const ARCHIVE_STDIN = '/dev/stdin';

/** A file to import, opened by whoever checked it. */
export interface ImportSource {
  path: string;
  handle: FileHandle;
}

/** An archive no caller named (Nova's own, a test's): opened the same way, from /; the caller closes it. */
export async function openOwnArchive(path: string): Promise<ImportSource> {
  const { handle } = await openConfined('/', path, { what: 'The file to import' });
  return { path, handle };
}

export async function isGzip(handle: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(2);
  await handle.read(buf, 0, 2, 0);
  return buf[0] === 0x1f && buf[1] === 0x8b;
}

/** The archive's uncompressed bytes in `dest` (a scratch file of the helper's). */
export async function gunzipTo(handle: FileHandle, dest: string, signal: AbortSignal): Promise<string> {
  await pipeline(handle.createReadStream({ start: 0, autoClose: false }), createGunzip(), createWriteStream(dest, { mode: 0o600 }), { signal });
  return dest;
}
