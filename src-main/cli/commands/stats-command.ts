// `nova stats [NAME] [--since 1h] [--csv]`: the helper's metrics history of the host, or
// of one VM or capsule, as a table, CSV or JSON. The range asked of the helper is the
// shortest that covers --since (1 s points for a minute, 10 s for an hour, 1 min for a
// day, 10 min beyond), and only the points within --since are shown.
import { type Command } from 'commander';
import type { MetricsHistory, MetricsPoint, MetricsRange } from '../../../src-shared/api/metrics-api.js';
import { NovaError, toErrorShape } from '../../../src-shared/errors.js';
import { metricsCsv, METRICS_CSV_COLUMNS, noSuchGuestMessage } from '../../../src-shared/metrics-csv.js';
import { formatDuration, parseDuration, VM_NAME_PATTERN, type Parsed } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../../core/helper-client.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { formatBytes } from '../operation-call.js';
import { nameArg, single } from './option-parsers.js';

const DAY_MS = 86_400_000;
const RANGE_SPANS: ReadonlyArray<[MetricsRange, number]> = [
  ['1m', 60_000],
  ['1h', 3_600_000],
  ['1d', DAY_MS],
  ['7d', 7 * DAY_MS],
  ['30d', 30 * DAY_MS],
];

/** --since: a duration the helper keeps history for (30 days at most). */
export function parseSince(text: string): Parsed<number> {
  const r = parseDuration(text, { positive: true });
  if (r.ok && r.value > 30 * DAY_MS) return { ok: false, message: `--since ${text} reaches further back than the 30 days Nova keeps` };
  return r;
}

export function rangeFor(sinceMs: number): MetricsRange {
  return (RANGE_SPANS.find(([, span]) => sinceMs <= span) ?? RANGE_SPANS[RANGE_SPANS.length - 1])?.[0] as MetricsRange;
}

/** The same columns a graph's CSV export in the UI writes (src-shared/metrics-csv.ts). */
export function formatCsv(points: readonly MetricsPoint[]): string {
  return metricsCsv(points, METRICS_CSV_COLUMNS);
}

export function formatStatsTable(h: MetricsHistory, sinceMs: number): string {
  const title = `${h.kind === 'host' ? 'host' : `${h.kind} ${h.name}`}: last ${formatDuration(sinceMs)}, one row per ${formatDuration(h.stepSeconds * 1000)}, times in UTC`;
  if (h.points.length === 0) return `${title}\n(no samples in this span: the helper records while it runs, and guests while they run)\n`;
  const head = ['TIME', 'CPU', 'MEMORY', 'DISK READ', 'DISK WRITE', 'NET RX', 'NET TX'];
  const withDate = h.stepSeconds >= 60;
  const rows = h.points.map((p) => [
    stamp(p.t, withDate),
    `${p.cpuPercent.toFixed(1)}%`,
    formatBytes(p.rssBytes),
    rate(p.diskReadBps),
    rate(p.diskWriteBps),
    rate(p.netRxBps),
    rate(p.netTxBps),
  ]);
  const widths = head.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd();
  return [title, line(head), ...rows.map(line)].join('\n') + '\n';
}

/** The history of NAME as a VM, else as a capsule; neither is a not_found naming both. */
async function guestHistory(h: HelperClient, name: string, range: MetricsRange): Promise<MetricsHistory> {
  if (VM_NAME_PATTERN.test(name)) {
    try {
      return await h.call('vm.metricsHistory', { name, range });
    } catch (err) {
      if (toErrorShape(err).code !== 'not_found') throw err;
    }
  }
  try {
    return await h.call('capsule.metricsHistory', { name, range });
  } catch (err) {
    if (toErrorShape(err).code === 'not_found') throw new NovaError('not_found', noSuchGuestMessage(name), { name });
    throw err;
  }
}

export function registerStatsCommand(program: Command, ctx: CliContext, now: () => number = Date.now): void {
  program
    .command('stats')
    .description('CPU, memory, disk and network history of the host, or of one VM or capsule')
    .argument('[name]', 'a VM or capsule (the host when left out)', nameArg('capsule'))
    .option('--since <duration>', 'how far back: 90s, 10m, 1h, 1d, 7d, up to 30d', single(parseSince), 10 * 60_000)
    .option('--csv', 'comma-separated values, one row per point, rates in bytes per second', false)
    .action(async (name: string | undefined, o: { since: number; csv: boolean }) => {
      const range = rangeFor(o.since);
      const history = await withHelper(ctx, (h) => (name === undefined ? h.call('host.metricsHistory', { range }) : guestHistory(h, name, range)));
      const from = now() - o.since;
      const shown = { ...history, points: history.points.filter((p) => p.t > from - history.stepSeconds * 1000) };
      if (ctx.globals().json) ctx.io.stdout(JSON.stringify(shown) + '\n');
      else if (o.csv) ctx.io.stdout(formatCsv(shown.points));
      else ctx.io.stdout(formatStatsTable(shown, o.since));
    });
}

function rate(bps: number): string {
  return `${formatBytes(Math.round(bps))}/s`;
}

function stamp(t: number, withDate: boolean): string {
  const iso = new Date(t).toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}
