// Splits the system test files into lanes that run side by side. Most files spend part of
// their time waiting on their guests, so more lanes than cores keep the cores busy; but
// some use something the whole host shares (the system D-Bus and polkitd, the installed
// package, the `nova` on PATH, or a latency they measure), and those all go to the first
// lane, where they run one after another. The rest are balanced by the seconds each took
// in a full run (.ci/system-test-seconds.json; a new file counts as DEFAULT_SECONDS until
// it is listed).
//
// Usage: node .ci/system-lanes.mjs LANES OUT_DIR  ->  OUT_DIR/lane-1.txt ... (one path per line)
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const TESTS = 'helper/system-tests';
const DEFAULT_SECONDS = 10;

/** Fixtures whose users share one host-wide resource: any file importing them goes to lane 1. */
const HOST_WIDE_FIXTURES = ['polkit-harness.ts'];
/** Files that touch the host as a whole by themselves. */
const HOST_WIDE_FILES = ['package-install.test.ts', 'cli-on-path.test.ts', 'host-check.test.ts', 'helper-flood.test.ts', 'spawn-hygiene.test.ts', 'helper-zombie.test.ts'];

const [lanesArg, outDir] = process.argv.slice(2);
const lanes = Math.max(1, Number(lanesArg) || 1);
if (!outDir) throw new Error('usage: node .ci/system-lanes.mjs LANES OUT_DIR');

const seconds = JSON.parse(readFileSync(join(ROOT, '.ci/system-test-seconds.json'), 'utf8'));
const files = readdirSync(join(ROOT, TESTS)).filter((f) => f.endsWith('.test.ts')).sort();

/** Relative imports of a test file, followed through the fixtures it uses (TypeScript sources named .js). */
function importClosure(file) {
  const seen = new Set();
  const stack = [join(ROOT, TESTS, file)];
  while (stack.length > 0) {
    const path = stack.pop();
    if (seen.has(path) || !existsSync(path)) continue;
    seen.add(path);
    for (const m of readFileSync(path, 'utf8').matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
      stack.push(normalize(join(dirname(path), m[1].replace(/\.js$/, '.ts'))));
    }
  }
  return [...seen].map((p) => relative(join(ROOT, TESTS), p));
}

const hostWide = (file) => HOST_WIDE_FILES.includes(file) || importClosure(file).some((p) => HOST_WIDE_FIXTURES.some((f) => p.endsWith(f)));

const lane = Array.from({ length: lanes }, () => ({ files: [], seconds: 0 }));
const put = (i, file) => {
  lane[i].files.push(file);
  lane[i].seconds += seconds[file] ?? DEFAULT_SECONDS;
};
const rest = [];
for (const f of files) {
  if (hostWide(f)) put(0, f);
  else rest.push(f);
}
// Longest first onto the lightest lane: close to even, and the long files start early.
rest.sort((a, b) => (seconds[b] ?? DEFAULT_SECONDS) - (seconds[a] ?? DEFAULT_SECONDS));
for (const f of rest) {
  const lightest = lane.reduce((best, l, i) => (l.seconds < lane[best].seconds ? i : best), 0);
  put(lightest, f);
}

lane.forEach((l, i) => {
  writeFileSync(join(outDir, `lane-${i + 1}.txt`), l.files.map((f) => `${TESTS}/${f}`).join('\n') + '\n');
  console.log(`lane ${i + 1}: ${l.files.length} files, about ${Math.round(l.seconds)} s`);
});
