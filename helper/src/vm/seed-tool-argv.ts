// The command lines behind cloud-init seeds, pure so each has a golden test: the ISO
// (genisoimage, or xorriso's genisoimage emulation where only xorriso is installed) and
// the password hash (openssl passwd -6, the password on stdin, never in argv).
import { join } from 'node:path';

export const SEED_VOLUME_LABEL = 'cidata';

/** Joliet and Rock Ridge names, volume label cidata, the files at the root. */
function isoOptions(isoPath: string, dir: string, files: readonly string[]): string[] {
  return ['-output', isoPath, '-volid', SEED_VOLUME_LABEL, '-joliet', '-rock', '-quiet', ...files.map((f) => join(dir, f))];
}

export function genisoimageArgv(isoPath: string, dir: string, files: readonly string[]): string[] {
  return ['genisoimage', ...isoOptions(isoPath, dir, files)];
}

/** The same ISO from xorriso, which takes genisoimage's options after `-as genisoimage`. */
export function xorrisoArgv(isoPath: string, dir: string, files: readonly string[]): string[] {
  return ['xorriso', '-as', 'genisoimage', ...isoOptions(isoPath, dir, files)];
}

/** crypt(3) SHA-512 of the password read from stdin; with a salt, a repeatable hash. */
export function opensslPasswdArgv(salt?: string): string[] {
  return ['openssl', 'passwd', '-6', ...(salt ? ['-salt', salt] : []), '-stdin'];
}
