// Starting what is marked autostart when the host has booted (the helper saw a boot id
// other than the one it recorded): VMs and capsules in one list, lowest order first (then
// by name), each after its own delay. A start that fails is reported and the rest go on,
// as systemd's wanted units do; the outcome of the run is kept in the state dir
// (autostart.json) for `nova host` and for whoever asks why a guest is not up.
import { join } from 'node:path';
import { z } from 'zod';
import { writeRecord, type RecordFormat } from '../state/record-store.js';
import type { Logger } from '../util/logger.js';

export interface AutostartEntry {
  kind: 'vm' | 'capsule';
  name: string;
  order: number;
  delaySeconds: number;
  start: () => Promise<unknown>;
}

const OutcomeSchema = z.strictObject({
  kind: z.enum(['vm', 'capsule']),
  name: z.string(),
  startedAt: z.string(),
  /** null: started. */
  error: z.string().nullable(),
});
export type AutostartOutcome = z.infer<typeof OutcomeSchema>;

const ReportSchema = z.strictObject({ bootId: z.string(), finishedAt: z.string(), outcomes: z.array(OutcomeSchema) });
export type AutostartReport = z.infer<typeof ReportSchema>;
const REPORT_RECORD: RecordFormat<AutostartReport> = { what: 'autostart report', version: 1, schema: ReportSchema };

export function autostartReportPath(stateDir: string): string {
  return join(stateDir, 'autostart.json');
}

/** The order they start in: `order`, then VMs before capsules (a capsule may need a VM's service), then name. */
export function autostartOrder(entries: readonly AutostartEntry[]): AutostartEntry[] {
  const kindRank = (k: AutostartEntry['kind']) => (k === 'vm' ? 0 : 1);
  return [...entries].sort((a, b) => a.order - b.order || kindRank(a.kind) - kindRank(b.kind) || a.name.localeCompare(b.name));
}

export interface AutostartRun {
  logger: Logger;
  stateDir: string;
  bootId: string;
  /** Ends the waits early on helper shutdown. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export async function runAutostart(entries: readonly AutostartEntry[], run: AutostartRun): Promise<AutostartReport> {
  const sleep = run.sleep ?? abortableSleep;
  const outcomes: AutostartOutcome[] = [];
  for (const entry of autostartOrder(entries)) {
    if (run.signal?.aborted) break;
    if (entry.delaySeconds > 0) await sleep(entry.delaySeconds * 1000, run.signal);
    if (run.signal?.aborted) break;
    const startedAt = new Date().toISOString();
    try {
      await entry.start();
      outcomes.push({ kind: entry.kind, name: entry.name, startedAt, error: null });
      run.logger.info({ kind: entry.kind, name: entry.name }, 'autostart: started');
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      outcomes.push({ kind: entry.kind, name: entry.name, startedAt, error });
      run.logger.error({ kind: entry.kind, name: entry.name, err }, 'autostart: the start failed; going on with the rest');
    }
  }
  const report = { bootId: run.bootId, finishedAt: new Date().toISOString(), outcomes };
  await writeRecord(REPORT_RECORD, autostartReportPath(run.stateDir), report).catch((err: unknown) => run.logger.error({ err }, 'autostart: the report could not be written'));
  return report;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A capsule as autostart sees it: its spec's autostart, and whether it already runs (its restart policy may have started it). */
export interface AutostartCapsules {
  list(): Promise<ReadonlyArray<{ name: string; state: string; spec: { autostart?: { order: number; delaySeconds: number } } }>>;
  start(name: string): Promise<unknown>;
}

export function capsuleAutostartEntries(capsules: Awaited<ReturnType<AutostartCapsules['list']>>, start: (name: string) => Promise<unknown>): AutostartEntry[] {
  return capsules.flatMap((c) => {
    const a = c.spec.autostart;
    if (!a) return [];
    return [{ kind: 'capsule' as const, name: c.name, order: a.order, delaySeconds: a.delaySeconds, start: () => (c.state === 'running' ? Promise.resolve() : start(c.name)) }];
  });
}
