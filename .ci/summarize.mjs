// Adds up every suite's results into the one closing line CI reads:
// "N passed, N failed, N skipped". A suite whose report is missing counts as failed,
// so a run that tested nothing can never look green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;

for (const f of readdirSync(dir).filter((f) => f.startsWith('check-'))) {
  if (readFileSync(join(dir, f), 'utf8').trim() === 'pass') passed++;
  else failed++;
}

// The system suite runs in lanes (lane-N.txt lists each one's files, system-N.json is its report).
const lanes = readdirSync(dir).filter((f) => /^lane-\d+\.txt$/.test(f)).map((f) => f.replace(/^lane-(\d+)\.txt$/, 'system-$1'));
for (const suite of ['unit', ...(lanes.length > 0 ? lanes : ['system'])]) {
  const file = join(dir, `${suite}.json`);
  if (!existsSync(file)) {
    console.log(`${suite}: no report (the suite did not run)`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // Name every failed test here too: the closing lines are what a reader of CI sees first.
  for (const t of r.testResults ?? []) {
    for (const a of t.assertionResults ?? []) {
      if (a.status === 'failed') console.log(`${suite}: failed: ${relative(process.cwd(), t.name)} > ${a.fullName ?? a.title}`);
    }
  }
  // A file that failed outside its tests (it did not load, or a beforeAll threw and its
  // tests were skipped) still failed, although no test in it did.
  for (const t of r.testResults ?? []) {
    if (t.status !== 'failed' || (t.assertionResults ?? []).some((a) => a.status === 'failed')) continue;
    console.log(`${suite}: ${t.name}: ${String(t.message || 'failed outside its tests').split('\n')[0]}`);
    failed++;
  }
  if (r.numTotalTests === 0) {
    console.log(`${suite}: ran no tests`);
    failed++;
  }
}

const e2e = join(dir, 'e2e.json');
if (existsSync(e2e)) {
  const report = JSON.parse(readFileSync(e2e, 'utf8'));
  const s = report.stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  for (const name of failedSpecs(report.suites ?? [], [])) console.log(`e2e: failed: ${name}`);
  // Errors outside any test (global setup or teardown, e.g. the helper found dead) fail too.
  for (const e of report.errors ?? []) {
    console.log(`e2e: ${String(e.message ?? e.value ?? 'error outside a test').split('\n')[0]}`);
    failed++;
  }
  skipped += s.skipped ?? 0;
  if ((s.expected ?? 0) + (s.unexpected ?? 0) + (s.flaky ?? 0) === 0) {
    console.log('e2e: ran no tests');
    failed++;
  }
} else {
  console.log('e2e: no report (the suite did not run)');
  failed++;
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

// Playwright's report nests suites (file, describe) around specs; a spec whose every run
// ended unexpectedly is a failed test.
function failedSpecs(suites, path) {
  const out = [];
  for (const suite of suites) {
    const here = suite.title ? [...path, suite.title] : path;
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status === 'unexpected') out.push(`${[...here, spec.title].join(' > ')}${test.projectName ? ` [${test.projectName}]` : ''}`);
      }
    }
    out.push(...failedSpecs(suite.suites ?? [], here));
  }
  return out;
}
