// Builds the two plain Node entry points: the helper daemon (for the system's Node,
// 18 or later) and the `nova` CLI, each one self-contained ES module file.
import { chmod, copyFile, mkdir, rename } from 'node:fs/promises';
import { build } from 'esbuild';

const requireShim =
  "import { createRequire as __novaCreateRequire } from 'node:module';" +
  'const require = __novaCreateRequire(import.meta.url);';

// zod re-exports all of its ~50 message locales (a third of the CLI's bundle) as
// `z.locales`; Nova speaks English only, so the bundles carry `en` alone and every
// `nova` command parses and compiles that much less at start-up.
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/') ? { path: 'zod-locales', namespace: 'english-only-zod', pluginData: args.resolveDir } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'english-only-zod' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData,
    }));
  },
};

const common = {
  bundle: true,
  plugins: [englishOnlyZod],
  platform: 'node',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: requireShim },
};

await mkdir('out/helper', { recursive: true });
await build({
  ...common,
  entryPoints: ['helper/src/main.ts'],
  outfile: 'out/helper/nova-helper.mjs',
  target: 'node18',
});
// Installed by rename, never rewritten in place: truncating a shared object that a running
// helper has loaded discards even its relocated pages, and its next call jumps into garbage.
await copyFile('helper/native/peercred/build/Release/peercred.node', `out/helper/peercred.node.${process.pid}`);
await rename(`out/helper/peercred.node.${process.pid}`, 'out/helper/peercred.node');
// conmon runs each capsule through this runtime entry (see the script); installed beside the helper.
await copyFile('helper/src/capsule/nova-runtime-run', `out/helper/nova-runtime-run.${process.pid}`);
await chmod(`out/helper/nova-runtime-run.${process.pid}`, 0o755);
await rename(`out/helper/nova-runtime-run.${process.pid}`, 'out/helper/nova-runtime-run');
// Terminals run node-pty in a child process of their own, never inside the root helper.
await build({
  ...common,
  entryPoints: ['helper/src/capsule/pty-host.ts'],
  outfile: 'out/helper/pty-host.mjs',
  target: 'node18',
  external: ['node-pty'],
});

await build({
  ...common,
  entryPoints: ['src-main/cli/nova.ts'],
  outfile: 'out/cli/nova.mjs',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node\n' + requireShim },
});
await chmod('out/cli/nova.mjs', 0o755);
