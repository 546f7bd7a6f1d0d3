// Any local user may connect to the helper, so `nobody` must not be able to stall or
// exhaust it: floods of pings and invalid requests from many processes, a client that
// never reads its replies, and a pile of idle connections, while root's own calls are
// answered within a second and the helper's memory stays under 200 MB. Each flood is
// bounded in size and time; a run that grows the helper past 600 MB or past 300 pkcheck
// processes at once is cut short.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDir, removeTestDir, request, startHelper, REPO, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv12r-flood';
const FLOOD_CLIENT = join(REPO, 'helper/system-tests/fixtures/flood-client.mjs');
const MB = 1024 * 1024;
const RSS_LIMIT = 200 * MB;
const RSS_ABORT = 600 * MB;
const PKCHECK_ABORT = 300;
const ROOT_ANSWER_MS = 1_000;

let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  helper = await startHelper(dir);
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  await helper?.stop();
  await polkit?.stop();
  await removeTestDir(dir);
});

interface Flooder {
  child: ChildProcess;
  /** Each JSON line the flooder printed, as it printed them. */
  reports: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** A flood-client run as `nobody`. */
function flood(mode: string, options: Record<string, unknown>): Flooder {
  const child = spawn(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, FLOOD_CLIENT, mode, helper.socketPath, JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  children.push(child);
  const reports: Array<Record<string, unknown>> = [];
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) !== -1) {
      reports.push(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      out = out.slice(nl + 1);
    }
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, reports, exited };
}

/** Root's helper.ping on a fresh connection, as the CLI makes it: milliseconds to the answer. */
function rootPing(timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = createConnection(helper.socketPath);
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    let buffer = '';
    socket.once('connect', () => socket.write(request(1, 'helper.ping', { payload: 'root' }) + '\n'));
    socket.on('data', (d: Buffer) => {
      buffer += d.toString();
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      const reply = JSON.parse(buffer.slice(0, nl)) as { result?: { payload?: string } };
      clearTimeout(timer);
      socket.destroy();
      if (reply.result?.payload === 'root') resolve(performance.now() - started);
      else reject(new Error(`unexpected reply ${buffer.slice(0, 200)}`));
    });
    socket.once('error', (err) => fail(err));
    socket.once('close', () => fail(new Error('the helper closed root\'s connection')));
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** pkcheck processes the helper is running right now. */
function pkchecksOf(pid: number): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (comm === 'pkcheck' && ppid === pid) n++;
    } catch {
      // The process ended while we looked.
    }
  }
  return n;
}

interface Watch {
  rootLatencies: number[];
  rootFailures: string[];
  peakRss: number;
  peakPkchecks: number;
  stop: () => Promise<void>;
}

/** While a flood runs: root pings every 100 ms, and the helper's RSS and pkcheck children are sampled. */
function watchHelper(flooders: Flooder[]): Watch {
  const pid = helper.process.pid!;
  const watch: Watch = { rootLatencies: [], rootFailures: [], peakRss: rssOf(pid), peakPkchecks: 0, stop: async () => undefined };
  let running = true;
  const sampler = setInterval(() => {
    watch.peakRss = Math.max(watch.peakRss, rssOf(pid));
    watch.peakPkchecks = Math.max(watch.peakPkchecks, pkchecksOf(pid));
    // Bounded harm on a helper that does not defend itself: stop the flood, keep the number.
    if (watch.peakRss > RSS_ABORT || watch.peakPkchecks > PKCHECK_ABORT) for (const f of flooders) f.child.kill('SIGKILL');
  }, 100);
  const pinger = (async () => {
    while (running) {
      try {
        watch.rootLatencies.push(await rootPing());
      } catch (err) {
        watch.rootFailures.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  watch.stop = async () => {
    running = false;
    clearInterval(sampler);
    await pinger;
  };
  return watch;
}

function summary(watch: Watch): string {
  const sorted = [...watch.rootLatencies].sort((a, b) => a - b);
  const p = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(1);
  return (
    `root pings ${sorted.length} (failed ${watch.rootFailures.length}), median ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(1)} ms; ` +
    `peak RSS ${(watch.peakRss / MB).toFixed(0)} MB; peak concurrent pkcheck ${watch.peakPkchecks}`
  );
}

async function settled(flooders: Flooder[], ms: number): Promise<void> {
  const timeout = new Promise<void>((r) => setTimeout(r, ms).unref());
  await Promise.race([Promise.all(flooders.map((f) => f.exited)), timeout]);
}

describe('the helper under a flood from nobody', () => {
  it('answers root within 1 s and stays under 200 MB while 100 connections from 10 processes send pings and invalid requests for 8 s', async () => {
    const marker = 'nv12r-marker';
    const invalidExec = request(9, 'capsule.exec', { name: 'nv12r', command: Array.from({ length: 4000 }, () => 1), cwd: marker });
    const frames = [
      ...Array.from({ length: 5 }, (_, i) => request(i + 1, 'helper.ping', { payload: 'flood' })),
      invalidExec,
      invalidExec,
      `{"jsonrpc":"2.0","id":7,"method":"${marker}.${'x'.repeat(2000)}"}`,
      'not json',
    ];
    const baseline = rssOf(helper.process.pid!);
    const flooders = Array.from({ length: 10 }, () => flood('requests', { connections: 10, frames, marker, durationMs: 8_000, pauseMs: 200, deadlineMs: 60_000 }));
    const deadline = Date.now() + 30_000;
    while (flooders.some((f) => f.reports.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const watch = watchHelper(flooders);
    for (const f of flooders) f.child.stdin?.write('go\n');
    await settled(flooders, 65_000);
    await watch.stop();
    const reports = flooders.map((f) => f.reports[1] ?? { unfinished: true });
    console.log(`flood of pings and invalid requests: baseline RSS ${(baseline / MB).toFixed(0)} MB; ${summary(watch)}`);
    console.log(`flood clients: ${JSON.stringify(reports.map((r) => ({ connected: r.connected, refused: r.refused, replies: r.replies, codes: r.codes, longest: r.longest })))}`);

    expect(watch.rootFailures).toEqual([]);
    expect(Math.max(...watch.rootLatencies)).toBeLessThan(ROOT_ANSWER_MS);
    expect(watch.peakRss).toBeLessThan(RSS_LIMIT);
    // The helper's own bound on polkit checks running at once.
    expect(watch.peakPkchecks).toBeLessThanOrEqual(4);
    for (const r of reports) {
      expect(r).not.toHaveProperty('unfinished');
      // Every reply is short and carries none of what was sent.
      expect(r.longest as number).toBeLessThan(1024);
      expect(r.echoed).toBe(0);
      // unavailable: a connection past nobody's share, refused with a one-line reason.
      expect(Object.keys(r.codes as object).filter((c) => !['not_authorized', 'unknown_method', 'protocol', 'unavailable'].includes(c))).toEqual([]);
    }
  });

  it('stops reading from a client that never reads its replies, then drops it, staying under 200 MB', async () => {
    const invalidExec = request(9, 'capsule.exec', { name: 'nv12r', command: Array.from({ length: 4000 }, () => 1) });
    const tiny = Array.from({ length: 200 }, () => 'x').join('\n');
    const flooder = flood('noread', { bytes: 12 * MB, frame: `${invalidExec}\n${tiny}`, deadlineMs: 45_000 });
    const watch = watchHelper([flooder]);
    await settled([flooder], 50_000);
    await watch.stop();
    const report = flooder.reports[0] ?? { unfinished: true };
    console.log(`client that never reads: ${JSON.stringify(report)}; ${summary(watch)}`);

    expect(watch.peakRss).toBeLessThan(RSS_LIMIT);
    expect(report).toMatchObject({ closedByServer: true });
    expect(watch.rootFailures).toEqual([]);
    expect(Math.max(...watch.rootLatencies)).toBeLessThan(ROOT_ANSWER_MS);
  });

  it('keeps serving root while nobody holds 130 idle connections', async () => {
    const flooder = flood('idle', { connections: 130, deadlineMs: 60_000 });
    try {
      const deadline = Date.now() + 20_000;
      while (flooder.reports.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const held = flooder.reports[0];
      console.log(`130 idle connections from nobody: ${JSON.stringify(held)}`);
      expect(held).toBeDefined();
      // The helper kept only nobody's share of them.
      expect(held?.closed).toBeGreaterThan(0);
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) latencies.push(await rootPing(ROOT_ANSWER_MS));
      console.log(`root pings while they are held: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
      expect(Math.max(...latencies)).toBeLessThan(ROOT_ANSWER_MS);
    } finally {
      flooder.child.stdin?.end();
      await settled([flooder], 5_000);
    }
  });
});
