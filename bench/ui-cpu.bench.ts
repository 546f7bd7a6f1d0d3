// The UI's CPU budget: web mode's real renderer in Debian's Chromium (headless, as the e2e
// specs run it) showing the Dashboard while 10 capsules run (runc, busybox `sleep`: the
// cheapest guests; 10 TCG VMs would load this shared 2-core machine far more than the UI
// being measured), against the real helper (joined to a throwaway nv13w network namespace)
// and `nova web`, in a 1920x1080 viewport. Measured: the utime+stime of Chromium's
// renderer processes from /proc/PID/stat over windows of 30 s, as % of one core; with the
// Dashboard open (target under 3 %) and with the graphs off screen on the Images page
// (target under 1 %).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext } from '@playwright/test';
import { HelperClient } from '../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from '../helper/system-tests/fixtures/capsule-harness.js';
import { makeTestDir, startHelper, type RunningHelper } from '../helper/system-tests/helper-harness.js';
import { DashboardPage } from '../e2e/pages/dashboard-page.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/support/fixtures.js';
import { summarize, type Benchmark, type BenchResult } from './bench-harness.js';
import { killMentioning, sleep } from './vm-bench-fixture.js';

const NETNS = 'nv13w-uibench';
const GUESTS = 10;
const RUNS = 3;
const WINDOW_MS = Number(process.env.NOVA_BENCH_UI_WINDOW_MS ?? 30_000);
const CLOCK_TICKS = 100;
const capsuleName = (i: number) => `nv13w-ui-${i}`;

interface Measured {
  dashboard: number[];
  offScreen: number[];
}

let measured: Promise<Measured> | null = null;

/** utime+stime of a process in clock ticks, or 0 once it is gone. */
async function cpuTicks(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!s) return 0;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Every process's parent pid and command line, from /proc. */
async function processTable(): Promise<Array<{ pid: number; ppid: number; cmdline: string }>> {
  const out: Array<{ pid: number; ppid: number; cmdline: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!stat) continue;
    out.push({ pid: Number(entry), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cmdline: cmdline.replaceAll('\0', ' ') });
  }
  return out;
}

/** The renderer processes of the Chromium whose profile is `profile` (its descendants with --type=renderer). */
async function rendererPids(profile: string): Promise<number[]> {
  const table = await processTable();
  const browser = table.find((p) => p.cmdline.includes(`--user-data-dir=${profile}`) && !p.cmdline.includes('--type='));
  if (!browser) throw new Error(`no Chromium browser process with the profile ${profile}`);
  const family = new Set([browser.pid]);
  for (let size = 0; size !== family.size; ) {
    size = family.size;
    for (const p of table) if (family.has(p.ppid)) family.add(p.pid);
  }
  return table.filter((p) => family.has(p.pid) && p.cmdline.includes('--type=renderer')).map((p) => p.pid);
}

/** % of one core the renderers used over one window. */
async function rendererCpu(profile: string): Promise<number> {
  const pids = await rendererPids(profile);
  const before = await Promise.all(pids.map(cpuTicks));
  const t0 = Date.now();
  await sleep(WINDOW_MS);
  const after = await Promise.all(pids.map(cpuTicks));
  const ticks = after.reduce((sum, a, i) => sum + Math.max(0, a - before[i]!), 0);
  return (ticks / CLOCK_TICKS / ((Date.now() - t0) / 1000)) * 100;
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Starts `nova web` on the helper's socket; resolves with the URL it prints (token included). */
async function startWeb(dir: string, socketPath: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [resolve('out/cli/nova.mjs'), '--socket', socketPath, '--state-dir', join(dir, 'state'), '--no-autostart', 'web', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('nova web printed no URL within 30 s')), 30_000);
    child.once('exit', (code) => fail(new Error(`nova web exited (${code}) before printing its URL`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /Nova web UI: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(line);
      if (!m?.[1]) return;
      clearTimeout(timer);
      done(m[1]);
    });
  });
  return { child, url };
}

async function measure(): Promise<Measured> {
  if (process.getuid?.() !== 0) throw new Error('The UI CPU bench needs root (the helper, runc, cgroups): run npm run bench as root');
  const dir = await makeTestDir('nv13w-uibench');
  await mkdir(join(dir, 'vols'));
  execFileSync('ip', ['netns', 'add', NETNS]);
  const profile = join(dir, 'chromium');
  const capsules = Array.from({ length: GUESTS }, (_, i) => capsuleName(i));
  let helper: RunningHelper | null = null;
  let client: HelperClient | null = null;
  let web: ChildProcess | null = null;
  let context: BrowserContext | null = null;
  try {
    helper = await startHelper(dir, {
      netns: NETNS,
      extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc', '--log-level', 'warn'],
    });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false, connectWaitMs: 30_000 });
    client.start();
    await client.waitForConnection();
    await client.call('ociImage.import', { path: await makeBusyboxRootfs(dir), name: 'nv13w-busybox' });
    for (const name of capsules) {
      await client.call('capsule.create', { name, image: 'nv13w-busybox', command: ['sleep', '100000'], stopTimeoutSec: 1 });
      await client.call('capsule.start', { name });
    }
    const started = await startWeb(dir, helper.socketPath);
    web = started.child;
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1920, height: 1080 }, timeout: 30_000 });
    const page = context.pages()[0] ?? (await context.newPage());
    const dash = new DashboardPage(page);
    await dash.open(started.url);
    // Every guest listed as running, and the sparklines on screen drawn (those below the
    // fold stay idle by design), or the measure would mean nothing.
    await waitFor('every capsule running on the Dashboard, a sparkline drawn', 60_000, async () => {
      for (const name of capsules) if (!((await dash.row('capsule', name).textContent()) ?? '').includes('Running')) return false;
      return (await dash.sparklineSeries('capsule', capsules[0]!)).points >= 2;
    });
    const live = await page.locator('[data-sparkline]').count();
    // Past the first fetches and the JIT warming up.
    await sleep(5_000);
    const dashboard: number[] = [];
    for (let r = 0; r < RUNS; r++) dashboard.push(await rendererCpu(profile));
    await dash.goTo('Images');
    await waitFor('the Images page', 20_000, async () => (await dash.heading.textContent()) === 'Images');
    await sleep(5_000);
    const offScreen: number[] = [];
    for (let r = 0; r < RUNS; r++) offScreen.push(await rendererCpu(profile));
    process.stderr.write(
      `  renderer CPU per ${WINDOW_MS / 1000} s window, ${GUESTS} capsules (${live} sparklines live on screen): Dashboard ${dashboard.map((p) => p.toFixed(2)).join(' ')} %; ` +
        `Images page (graphs off screen) ${offScreen.map((p) => p.toFixed(2)).join(' ')} %\n`,
    );
    return { dashboard, offScreen };
  } finally {
    await context?.close().catch(() => undefined);
    web?.kill('SIGTERM');
    for (const name of capsules) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    client?.close();
    await helper?.stop();
    await killMentioning(dir);
    await removeHelperCapsuleState(dir, capsules);
    execFileSync('ip', ['netns', 'del', NETNS]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Both budgets come from one run: the Dashboard first, then the same tab on the Images page. */
const once = (): Promise<Measured> => (measured ??= measure());

export const uiCpuDashboard: Benchmark = {
  name: `UI renderer CPU, Dashboard + ${GUESTS} capsules (%)`,
  async run(): Promise<BenchResult> {
    return { name: this.name, nova: summarize((await once()).dashboard), raw: { p50: 100, p95: 100, n: 1 }, unit: '%', target: 0.03 };
  },
};

export const uiCpuOffScreen: Benchmark = {
  name: `UI renderer CPU, graphs off screen (%)`,
  async run(): Promise<BenchResult> {
    return { name: this.name, nova: summarize((await once()).offScreen), raw: { p50: 100, p95: 100, n: 1 }, unit: '%', target: 0.01 };
  },
};
