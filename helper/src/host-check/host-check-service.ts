// The host check (a better virt-host-validate): runs every probe family in parallel,
// keeps the report in memory and in <stateDir>/host-report.json so a restarted helper
// answers at once, and shares one run between concurrent callers. Probe scratch files
// live in <stateDir>/host-check.tmp.
import { mkdir, readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import {
  type Accelerator,
  HostCheckGroupSchema,
  type HostCheckItem,
  type HostReport,
  HostReportSchema,
} from '../../../src-shared/host.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { checkItem } from './check-item.js';
import { checkDesktopSession } from './desktop-session.js';
import { readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { DEFAULT_HOST_PROBES, type HostProbe } from './host-probes.js';
import { SCRATCH_DIR_NAME, sweepScratch } from './probe-scratch.js';

export const HOST_REPORT_FILE = 'host-report.json';
const REPORT_FILE_VERSION = 1;
export const DEFAULT_REPORT_MAX_AGE_MS = 60 * 60 * 1000;

export interface HostCheckServiceOptions {
  env: HostProbeEnv;
  stateDir: string;
  logger: Logger;
  /** A report older than this is probed again (default 1 hour). */
  maxAgeMs?: number;
  /** Injectable clock, epoch milliseconds. */
  now?: () => number;
  /** Injectable probe families (tests); defaults to every family. */
  probes?: readonly HostProbe[];
}

/** host-report.json: the report without the per-caller session item, plus the boot it describes. */
interface PersistedHostReport {
  version: typeof REPORT_FILE_VERSION;
  bootId: string | null;
  report: HostReport;
}

const GROUP_ORDER = HostCheckGroupSchema.options;

export class HostCheckService {
  private readonly env: HostProbeEnv;
  private readonly stateDir: string;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly probes: readonly HostProbe[];
  /** The last host report (no session item), as probed: cached=false. */
  private latest: HostReport | null = null;
  private diskLoad: Promise<void> | null = null;
  private inflight: Promise<HostReport> | null = null;

  constructor(opts: HostCheckServiceOptions) {
    this.env = opts.env;
    this.stateDir = opts.stateDir;
    this.logger = opts.logger;
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_REPORT_MAX_AGE_MS;
    this.now = opts.now ?? Date.now;
    this.probes = opts.probes ?? DEFAULT_HOST_PROBES;
  }

  async report(opts: { refresh: boolean; callerPid?: number }): Promise<HostReport> {
    let host: HostReport | null = null;
    let cached = false;
    if (!opts.refresh) {
      this.diskLoad ??= this.loadFromDisk();
      await this.diskLoad;
      if (this.latest && this.isFresh(this.latest)) {
        host = this.latest;
        cached = true;
      }
    }
    host ??= await this.probeShared();
    // The session belongs to the caller, not the host: never cached, read per call.
    const session = await checkDesktopSession(this.env, opts.callerPid);
    return { ...host, cached, items: sortItems([...host.items, session]) };
  }

  private isFresh(report: HostReport): boolean {
    const age = this.now() - Date.parse(report.generatedAt);
    return Number.isFinite(age) && age >= 0 && age < this.maxAgeMs;
  }

  private probeShared(): Promise<HostReport> {
    if (!this.inflight) {
      this.inflight = this.probeAll().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async probeAll(): Promise<HostReport> {
    const started = performance.now();
    const generatedAt = new Date(this.now()).toISOString();
    const env = await this.probeEnv();
    const outcomes = await Promise.all(this.probes.map((p) => this.runProbe(p, env)));
    let accelerator: Accelerator = 'tcg';
    let ociRuntime: string | null = null;
    const items: HostCheckItem[] = [];
    for (const o of outcomes) {
      items.push(...o.items);
      if (o.accelerator) accelerator = o.accelerator;
      if (o.ociRuntime !== undefined) ociRuntime = o.ociRuntime;
    }
    const report: HostReport = {
      hostname: await this.hostname(),
      generatedAt,
      durationMs: Math.round(performance.now() - started),
      cached: false,
      accelerator,
      ociRuntime,
      items: sortItems(items),
    };
    this.latest = report;
    this.logger.info(
      { durationMs: report.durationMs, accelerator, ociRuntime, failed: items.filter((i) => i.status === 'fail').map((i) => i.id) },
      'host check done',
    );
    await this.persist(report);
    return report;
  }

  /** The env with scratch space in our state dir, cleared of whatever a killed run left. */
  private async probeEnv(): Promise<HostProbeEnv> {
    const scratchDir = join(this.stateDir, SCRATCH_DIR_NAME);
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      await sweepScratch(this.env, scratchDir, this.logger);
      return { ...this.env, tmpDir: scratchDir };
    } catch (err) {
      this.logger.warn({ err, scratchDir }, 'cannot use the state dir for probe scratch files; using the temp dir');
      return this.env;
    }
  }

  private async runProbe(
    probe: HostProbe,
    env: HostProbeEnv,
  ): Promise<{ items: HostCheckItem[]; accelerator?: Accelerator; ociRuntime?: string | null }> {
    const started = performance.now();
    try {
      const outcome = await probe.run(env);
      this.logger.debug({ probe: probe.name, ms: Math.round(performance.now() - started) }, 'probe done');
      return outcome;
    } catch (err) {
      // One broken probe must not hide what the others found.
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn({ probe: probe.name, err }, 'probe crashed');
      return {
        items: [
          checkItem(`probe-error.${probe.name}`, probe.group, `Check "${probe.name}"`, {
            status: 'warn',
            summary: 'This check could not run',
            evidence: [message],
            remedy: 'Refresh the host check; if it persists, report it with the helper log',
          }),
        ],
      };
    }
  }

  private async hostname(): Promise<string> {
    const fromProc = (await readHostFile(this.env, '/proc/sys/kernel/hostname'))?.trim();
    return fromProc || osHostname();
  }

  private async bootId(): Promise<string | null> {
    return (await readHostFile(this.env, '/proc/sys/kernel/random/boot_id'))?.trim() || null;
  }

  private get reportPath(): string {
    return join(this.stateDir, HOST_REPORT_FILE);
  }

  private async persist(report: HostReport): Promise<void> {
    const file: PersistedHostReport = { version: REPORT_FILE_VERSION, bootId: await this.bootId(), report };
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      await writeJsonAtomic(this.reportPath, file);
    } catch (err) {
      // The report is still served from memory; only a restart loses it.
      this.logger.warn({ err, path: this.reportPath }, 'cannot persist host report');
    }
  }

  /** Adopts a persisted report if it describes this boot of this host and is recent. */
  private async loadFromDisk(): Promise<void> {
    let raw: string;
    try {
      raw = await readFile(this.reportPath, 'utf8');
    } catch {
      return;
    }
    const reject = (reason: string) => this.logger.info({ path: this.reportPath, reason }, 'ignoring persisted host report');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return reject('not JSON');
    }
    const file = parsed as Partial<PersistedHostReport> | null;
    if (!file || file.version !== REPORT_FILE_VERSION) return reject('unknown version');
    const report = HostReportSchema.safeParse(file.report);
    if (!report.success) return reject('does not match the report schema');
    const [bootId, hostname] = await Promise.all([this.bootId(), this.hostname()]);
    // Modules and mounts change across reboots; a report from another boot may lie.
    if (bootId !== null && file.bootId !== bootId) return reject('from another boot');
    if (report.data.hostname !== hostname) return reject('from another host');
    if (!this.isFresh(report.data)) return reject('too old');
    if (!this.latest) this.latest = { ...report.data, cached: false };
  }
}

function sortItems(items: readonly HostCheckItem[]): HostCheckItem[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => GROUP_ORDER.indexOf(a.item.group) - GROUP_ORDER.indexOf(b.item.group) || a.index - b.index)
    .map(({ item }) => item);
}
