// The helper's own CPU while it samples metrics for 10 running VMs at 1 Hz: the real
// helper bundle (in a throwaway namespace, nvb-cpu) with a client receiving the
// vm.metricsSampled events, its utime+stime read from /proc over 4 windows of 5 s.
// Reported as % of one core against one whole core (100 %), so the ratio target is 0.02.
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HelperClient } from '../src-main/core/helper-client.js';
import { summarize, type Benchmark } from './bench-harness.js';
import { killMentioning, sleep } from './vm-bench-fixture.js';

const NETNS = 'nvb-cpu';
const VMS = 10;
const WINDOWS = 4;
const WINDOW_MS = 5_000;
const CLOCK_TICKS = 100;

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitForSocket(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(path))) {
    if (Date.now() > deadline) throw new Error(`the helper did not listen on ${path} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export const helperMetricsCpu: Benchmark = {
  name: `helper CPU, ${VMS} VMs sampled (%)`,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'nvb-cpu-'));
    await chmod(dir, 0o755);
    execFileSync('ip', ['netns', 'add', NETNS]);
    const log = await open(join(dir, 'helper.log'), 'a');
    const socketPath = join(dir, 'h.sock');
    const child = spawn(
      'ip',
      ['netns', 'exec', NETNS, process.execPath, resolve('out/helper/nova-helper.mjs'), '--socket', socketPath, '--state-dir', join(dir, 'state'), '--run-dir', join(dir, 'run'), '--log-level', 'warn'],
      { stdio: ['ignore', log.fd, log.fd] },
    );
    const client = new HelperClient({ socketPath, reconnect: false, connectWaitMs: 15_000 });
    try {
      await waitForSocket(socketPath, 30_000);
      client.start();
      await client.waitForConnection();
      let samples = 0;
      client.onEvent((e) => {
        if (e.name === 'vm.metricsSampled') samples++;
      });
      for (let i = 0; i < VMS; i++) {
        const name = `nvb-cpu-${i}`;
        await client.call('vm.create', { name, memory: '64Mi', accel: 'tcg', display: 'none' });
        await client.call('vm.start', { name });
      }
      // Steady state: past the ten starts, their QMP handshakes and the JIT warming the sampler.
      await sleep(10_000);
      const pid = child.pid ?? 0;
      const percents: number[] = [];
      const before = samples;
      for (let w = 0; w < WINDOWS; w++) {
        const t0 = Date.now();
        const c0 = await cpuTicks(pid);
        await sleep(WINDOW_MS);
        const c1 = await cpuTicks(pid);
        percents.push(((c1 - c0) / CLOCK_TICKS / ((Date.now() - t0) / 1000)) * 100);
      }
      const perSecond = (samples - before) / ((WINDOWS * WINDOW_MS) / 1000);
      process.stderr.write(`  helper CPU per window: ${percents.map((p) => p.toFixed(2)).join(' ')} %; ${perSecond.toFixed(1)} metric samples/s received\n`);
      if (perSecond < VMS * 0.8) throw new Error(`the helper sampled ${perSecond.toFixed(1)} VMs/s, expected about ${VMS}: the measure would mean nothing`);
      return { name: this.name, nova: summarize(percents), raw: { p50: 100, p95: 100, n: 1 }, unit: '%', target: 0.02 };
    } finally {
      for (let i = 0; i < VMS; i++) await client.call('vm.delete', { name: `nvb-cpu-${i}`, force: true }).catch(() => undefined);
      client.close();
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
      await killMentioning(dir);
      await log.close();
      execFileSync('ip', ['netns', 'del', NETNS]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};
