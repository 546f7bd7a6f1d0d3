// Capsule volumes, "host:guest[:ro|:rw]", and the path rules behind them: a bind mount is
// where a root daemon's mistakes become CVEs, so paths are absolute, never climb with
// "..", and never cover the capsule's root.
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { climbs, normalizePosixPath, pathProblem } from './posix-path.js';

export interface Volume {
  /** The host path; absolute once resolved (the CLI from its folder, the NovaFile from its own). */
  source: string;
  /** Absolute path inside the capsule. */
  target: string;
  readOnly: boolean;
}

const HELP = 'use "host:guest" or "host:guest:ro" (e.g. "/srv/data:/data:ro")';

/** An absolute path inside a capsule ("/srv/api"), normalized; ".." is refused so it cannot climb out. */
export function parseGuestPath(text: string, what: string): Parsed<string> {
  if (!text.startsWith('/')) return fail(`${what} ${describeValue(text)} must be absolute (start with "/"), e.g. "/srv/data"`);
  if (climbs(text)) return fail(`${what} ${describeValue(text)} contains ".."`);
  if (text.includes('\0')) return fail(`${what} contains a NUL character`);
  return ok(normalizePosixPath(text));
}

/** An absolute host path to bind, normalized; ".." is refused (the helper resolves inside a root). */
export function parseHostPath(text: string, what = 'volume source'): Parsed<string> {
  const problem = pathProblem(text);
  if (problem) return fail(`${what}: ${problem}`);
  if (!text.startsWith('/')) return fail(`${what} ${describeValue(text)} must be an absolute path`);
  if (climbs(text)) return fail(`${what} ${describeValue(text)} contains ".."; write the path it stands for`);
  return ok(normalizePosixPath(text));
}

/** A capsule path other than its root. */
export function parseVolumeTarget(text: string): Parsed<string> {
  const target = parseGuestPath(text, 'the guest path');
  if (target.ok && target.value === '/') return fail(`the guest path ${describeValue(text)} would mount over the capsule's root; pick a folder such as "/data"`);
  return target;
}

/**
 * "host:guest[:ro|:rw]" with the host path as written: a relative one is the caller's to
 * resolve (see resolveVolume), an absolute one is checked and normalized here.
 */
export function parseVolume(text: string): Parsed<Volume> {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) return fail(`${describeValue(text)} is not a volume; ${HELP}`);
  const [host = '', guest = '', mode] = parts;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    return fail(`${describeValue(mode)} is not a volume option in ${describeValue(text)}; use ":ro" or ":rw"`);
  }
  if (host === '') return fail(`${describeValue(text)} has no host path; ${HELP}`);
  const hostProblem = pathProblem(host);
  if (hostProblem) return fail(`host path: ${hostProblem}`);
  const source = host.startsWith('/') ? parseHostPath(host, 'the host path') : ok(host);
  if (!source.ok) return source;
  const target = parseVolumeTarget(guest);
  if (!target.ok) return target;
  return ok({ source: source.value, target: target.value, readOnly: mode === 'ro' });
}

/** The path made absolute from `base` (an absolute folder), as path.resolve would. */
export function resolveHostPath(base: string, path: string): string {
  return normalizePosixPath(path.startsWith('/') ? path : `${base}/${path}`);
}

/** The volume with its host path made absolute from `base`. */
export function resolveVolume(volume: Volume, base: string): Volume {
  return { ...volume, source: resolveHostPath(base, volume.source) };
}
