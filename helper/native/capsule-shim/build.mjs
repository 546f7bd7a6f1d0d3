// Compiles the native capsule shim (capsule-shim.c beside this file) with the system's C
// compiler. Used by .ci/build-node.mjs for out/helper and by the tests for their own copy:
// `node helper/native/capsule-shim/build.mjs OUTFILE`.
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHIM_SOURCE = fileURLToPath(new URL('./capsule-shim.c', import.meta.url));

export function buildCapsuleShim(outFile) {
  // Built beside, then renamed over: shims running from the old file keep their copy, and
  // nothing ever starts a half-written one.
  const tmp = `${outFile}.${process.pid}.tmp`;
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', tmp, SHIM_SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
    renameSync(tmp, outFile);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`Building the capsule shim from ${SHIM_SOURCE} failed (${err.message}): install a C compiler and libc headers (apt-get install gcc libc6-dev), or see the compiler output above`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node helper/native/capsule-shim/build.mjs OUTFILE');
    process.exit(2);
  }
  buildCapsuleShim(process.argv[2]);
}
