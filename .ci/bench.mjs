// Builds the benchmarks (TypeScript) with esbuild and runs them against the built helper.
import { spawnSync } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { build } from 'esbuild';

if (spawnSync(process.execPath, ['.ci/build-node.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
await build({
  entryPoints: ['bench/run.ts'],
  outfile: 'out/bench/run.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// Benchmarks that run a VM engine in this process check who holds each QMP socket
// (SO_PEERCRED): the addon sits beside the bundle, as it does beside the helper's.
await copyFile('out/helper/peercred.node', 'out/bench/peercred.node');
const r = spawnSync(process.execPath, ['out/bench/run.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
