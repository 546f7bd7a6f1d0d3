// `npm run bench`: runs every benchmark and prints Nova against the raw tool.
import { formatResults, type BenchResult, type Benchmark } from './bench-harness.js';
import { capsuleParallelStart } from './capsule-parallel.bench.js';
import { capsuleStartToExit } from './capsule-start.bench.js';
import { helperRoundTrip } from './helper-roundtrip.bench.js';
import { metricsBudgetCpu, metricsBudgetDisk } from './metrics-budget.bench.js';
import { networkLifecycle } from './network-lifecycle.bench.js';
import { networkThroughput } from './network-throughput.bench.js';
import { projectPlan } from './project-plan.bench.js';
import { projectUp } from './project-up.bench.js';
import { uiCpuDashboard, uiCpuOffScreen } from './ui-cpu.bench.js';
import { vmBootToMarker } from './vm-boot.bench.js';
import { helperMetricsCpu } from './vm-metrics-cpu.bench.js';
import { vmStartToQmp } from './vm-start.bench.js';
import { vmMigrateDowntime, vmMigrateTotal } from './vm-migrate.bench.js';

const benchmarks: Benchmark[] = [helperRoundTrip, networkLifecycle, vmStartToQmp, vmBootToMarker, helperMetricsCpu, networkThroughput, capsuleStartToExit, capsuleParallelStart, metricsBudgetCpu, metricsBudgetDisk, projectPlan, projectUp, uiCpuDashboard, uiCpuOffScreen, vmMigrateTotal, vmMigrateDowntime];
const only = process.argv[2];
const results: BenchResult[] = [];
for (const b of benchmarks) {
  if (only && !b.name.includes(only)) continue;
  process.stderr.write(`running ${b.name}...\n`);
  results.push(await b.run());
}
console.log(formatResults(results));
console.log(JSON.stringify(results));
