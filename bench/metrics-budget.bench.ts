// The metrics pipeline's budget: the real helper bundle (joined to a throwaway network
// namespace, nv13m-bench) sampling and storing the host, 10 running VMs (QEMU under TCG,
// no disk) and 10 running capsules (runc, busybox `sleep`) at 1 Hz. Measured: the helper's
// utime+stime over 4 windows of 5 s, as % of one core (target: under 2 %), and the bytes
// its metrics folder holds, which is all 30 days take since each series is a fixed-size
// file (target: under 50 MB); the bench also checks the files did not grow meanwhile.
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HelperClient } from '../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from '../helper/system-tests/fixtures/capsule-harness.js';
import { waitForSocket } from '../helper/system-tests/helper-harness.js';
import { summarize, type Benchmark, type BenchResult } from './bench-harness.js';
import { killMentioning, sleep } from './vm-bench-fixture.js';

const NETNS = 'nv13m-bench';
const GUESTS = 10;
const WINDOWS = 4;
const WINDOW_MS = 5_000;
const CLOCK_TICKS = 100;
const MB = 1024 * 1024;

const vmName = (i: number) => `nv13m-vm-${i}`;
const capsuleName = (i: number) => `nv13m-cap-${i}`;

async function cpuTicks(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Apparent bytes and allocated bytes of every file in the metrics folder. */
async function metricsDiskUse(dir: string): Promise<{ files: number; bytes: number; allocated: number }> {
  let bytes = 0;
  let allocated = 0;
  const files = await readdir(dir);
  for (const f of files) {
    const s = await stat(join(dir, f));
    bytes += s.size;
    allocated += s.blocks * 512;
  }
  return { files: files.length, bytes, allocated };
}

interface Measured {
  cpuPercents: number[];
  diskBytes: number;
}

let measured: Promise<Measured> | null = null;

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function measure(): Promise<Measured> {
  if (process.getuid?.() !== 0) throw new Error('The metrics budget bench needs root (QEMU, runc, cgroups): run npm run bench as root');
  const dir = await mkdtemp(join(tmpdir(), 'nv13m-bench-'));
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'vols'));
  execFileSync('ip', ['netns', 'add', NETNS]);
  const log = await open(join(dir, 'helper.log'), 'a');
  const socketPath = join(dir, 'h.sock');
  // nsenter joins the network namespace only: `ip netns exec` would remount /sys and hide the cgroups.
  const child = spawn(
    'nsenter',
    [`--net=/run/netns/${NETNS}`, process.execPath, resolve('out/helper/nova-helper.mjs'), '--socket', socketPath, '--state-dir', join(dir, 'state'), '--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc', '--log-level', 'warn'],
    { stdio: ['ignore', log.fd, log.fd] },
  );
  const client = new HelperClient({ socketPath, reconnect: false, connectWaitMs: 30_000 });
  const capsules = Array.from({ length: GUESTS }, (_, i) => capsuleName(i));
  try {
    await waitForSocket(socketPath, 30_000);
    client.start();
    await client.waitForConnection();
    await client.call('ociImage.import', { path: await makeBusyboxRootfs(dir), name: 'nv13m-busybox' });
    for (let i = 0; i < GUESTS; i++) {
      await client.call('vm.create', { name: vmName(i), memory: '64Mi', accel: 'tcg', display: 'none' });
      await client.call('vm.start', { name: vmName(i) });
      await client.call('capsule.create', { name: capsuleName(i), image: 'nv13m-busybox', command: ['sleep', '100000'], stopTimeoutSec: 1 });
      await client.call('capsule.start', { name: capsuleName(i) });
    }
    // Every series is being written, or the measure would mean nothing.
    await waitFor('a sample of every VM, capsule and the host', 30_000, async () => {
      const all = await Promise.all([
        client.call('host.metricsHistory', { range: '1m' }),
        ...Array.from({ length: GUESTS }, (_, i) => client.call('vm.metricsHistory', { name: vmName(i), range: '1m' })),
        ...capsules.map((name) => client.call('capsule.metricsHistory', { name, range: '1m' })),
      ]);
      return all.every((h) => h.points.length > 0);
    });
    // Steady state: past the starts, their QMP handshakes and the JIT warming the sampler.
    await sleep(10_000);
    const metricsDir = join(dir, 'state', 'metrics');
    const diskBefore = await metricsDiskUse(metricsDir);
    const pid = child.pid ?? 0;
    const cpuPercents: number[] = [];
    const measuredFrom = Date.now();
    for (let w = 0; w < WINDOWS; w++) {
      const t0 = Date.now();
      const c0 = await cpuTicks(pid);
      await sleep(WINDOW_MS);
      cpuPercents.push((((await cpuTicks(pid)) - c0) / CLOCK_TICKS / ((Date.now() - t0) / 1000)) * 100);
    }
    const diskAfter = await metricsDiskUse(metricsDir);
    const seconds = Math.floor((Date.now() - measuredFrom) / 1000);
    const recent = (await client.call('capsule.metricsHistory', { name: capsuleName(0), range: '1m' })).points.filter((p) => p.t >= measuredFrom);
    process.stderr.write(
      `  helper CPU per window: ${cpuPercents.map((p) => p.toFixed(2)).join(' ')} %; ${diskAfter.files} series, ` +
        `${(diskAfter.bytes / MB).toFixed(2)} MB (${(diskAfter.allocated / MB).toFixed(2)} MB allocated); ` +
        `${recent.length} points of ${capsuleName(0)} in the ${seconds} s measured\n`,
    );
    if (diskAfter.files !== 2 * GUESTS + 1) throw new Error(`expected ${2 * GUESTS + 1} series files, found ${diskAfter.files}`);
    if (diskAfter.bytes !== diskBefore.bytes) throw new Error(`the metrics files grew from ${diskBefore.bytes} to ${diskAfter.bytes} bytes`);
    if (recent.length < seconds - 1) throw new Error(`only ${recent.length} points in ${seconds} s: the sampler is not keeping up`);
    return { cpuPercents, diskBytes: diskAfter.bytes };
  } finally {
    for (let i = 0; i < GUESTS; i++) {
      await client.call('vm.delete', { name: vmName(i), force: true }).catch(() => undefined);
      await client.call('capsule.delete', { name: capsuleName(i), force: true }).catch(() => undefined);
    }
    client.close();
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
    await killMentioning(dir);
    await log.close();
    await removeHelperCapsuleState(dir, capsules);
    execFileSync('ip', ['netns', 'del', NETNS]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Both budgets come from one run of 10 VMs and 10 capsules. */
const once = (): Promise<Measured> => (measured ??= measure());

export const metricsBudgetCpu: Benchmark = {
  name: `metrics pipeline CPU, ${GUESTS} VMs + ${GUESTS} capsules + host (%)`,
  async run(): Promise<BenchResult> {
    const m = await once();
    return { name: this.name, nova: summarize(m.cpuPercents), raw: { p50: 100, p95: 100, n: 1 }, unit: '%', target: 0.02 };
  },
};

export const metricsBudgetDisk: Benchmark = {
  name: `metrics history on disk for 30 days, ${GUESTS} VMs + ${GUESTS} capsules + host (MB)`,
  async run(): Promise<BenchResult> {
    const m = await once();
    const mb = m.diskBytes / MB;
    return { name: this.name, nova: { p50: mb, p95: mb, n: 1 }, raw: { p50: 50, p95: 50, n: 1 }, unit: 'MB', target: 1 };
  },
};
