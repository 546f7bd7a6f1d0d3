// The metrics history through the real helper: a capsule (real runc) doing a little work
// is sampled once a second into the store on disk; the helper is SIGKILLed and started
// again, and the minutes before the kill are still there, with new points after it. Then
// what a user reads: `nova stats` from the real CLI bundle (table, CSV, the host, a
// guest that does not exist, a --since that does not parse), and `nova web`'s /metrics
// scraped with and without its token and parsed as OpenMetrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { parseOpenMetrics } from '../../src-main/core/open-metrics-parser.js';
import type { MetricsHistory } from '../../src-shared/api/metrics-api.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, REPO, startHelper, type RunningHelper } from './helper-harness.js';

const IMAGE = 'nv13m-busybox';
const CAPSULE = 'nv13m-busy';
/** A short burst of shell arithmetic every second: some CPU, never a whole core. */
const WORK = 'while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done';

let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
let web: ChildProcess | null = null;

async function startAndConnect(): Promise<void> {
  helper = await startHelper(dir, { extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

const history = (range: '1m' | '1h' = '1m'): Promise<MetricsHistory> => (client as HelperClient).call('capsule.metricsHistory', { name: CAPSULE, range });

/** Runs the real CLI against the test helper; resolves with its exit code and output. */
function nova(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, '--socket', (helper as RunningHelper).socketPath, '--no-autostart', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function get(url: URL, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: url.port, path: '/metrics', headers: { Host: url.host, ...headers }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('/metrics did not answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await makeTestDir('nv13m-metrics');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'vols'));
  const rootfsTar = await makeBusyboxRootfs(dir);
  await startAndConnect();
  await (client as HelperClient).call('ociImage.import', { path: rootfsTar, name: IMAGE });
  await (client as HelperClient).call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sh', '-c', WORK], stopTimeoutSec: 1 });
  await (client as HelperClient).call('capsule.start', { name: CAPSULE });
}, 180_000);

afterAll(async () => {
  try {
    if (web && web.exitCode === null && web.signalCode === null) web.kill('SIGTERM');
    await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, [CAPSULE]);
  }
});

describe('metrics history on disk', () => {
  it('keeps a running capsule\'s history across a SIGKILL of the helper', async () => {
    const before = await waitFor(async () => {
      const h = await history();
      return h.points.length >= 8 && h.points.some((p) => p.cpuPercent > 0) ? h : null;
    }, 30_000, 'eight seconds of samples of the capsule, some with CPU');
    expect(before.points.every((p) => p.rssBytes > 0)).toBe(true);
    const hostBefore = await (client as HelperClient).call('host.metricsHistory', { range: '1m' });
    expect(hostBefore.points.length).toBeGreaterThanOrEqual(5);
    expect(hostBefore.points.some((p) => p.cpuPercent > 0 && p.rssBytes > 0)).toBe(true);

    client?.close();
    await helper?.kill('SIGKILL');
    const killedAt = Date.now();
    await startAndConnect();

    // What was sampled before the kill is still there, each point as it was...
    const after = await history('1h');
    const kept = (await history()).points;
    for (const p of before.points.slice(-5)) expect(kept).toContainEqual(p);
    expect(after.points.length).toBeGreaterThan(0);
    // ...and sampling goes on into the same files.
    await waitFor(async () => (await history()).points.some((p) => p.t > killedAt), 15_000, 'a sample after the restart');
    const host = await (client as HelperClient).call('host.metricsHistory', { range: '1m' });
    expect(host.points.filter((p) => p.t < killedAt - 1000).length).toBeGreaterThanOrEqual(4);
    // The capsule kept running (conmon holds it): the restarted helper found it again.
    expect((await (client as HelperClient).call('capsule.get', { name: CAPSULE })).state).toBe('running');
  }, 90_000);

  it('shows as `nova stats`: a guest as table and CSV, the host, and clear errors', async () => {
    const csv = await nova('stats', CAPSULE, '--since', '1m', '--csv');
    expect(csv.stderr).toBe('');
    expect(csv.code).toBe(0);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    expect(header).toBe('time,cpu_percent,memory_bytes,disk_read_bps,disk_write_bps,net_rx_bps,net_tx_bps');
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.every((r) => /^\d{4}-\d\d-\d\dT[\d:.]+Z,[\d.]+,[1-9]\d*,[\d.]+,[\d.]+,[\d.]+,[\d.]+$/.test(r))).toBe(true);

    const table = await nova('stats', CAPSULE);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^capsule ${CAPSULE}: last 10m, one row per 10s, times in UTC\nTIME +CPU +MEMORY +DISK READ +DISK WRITE +NET RX +NET TX\n\\d\\d:\\d\\d:\\d0 +[\\d.]+%`));

    const hostTable = await nova('stats', '--since', '2m');
    expect(hostTable.code).toBe(0);
    expect(hostTable.stdout).toMatch(/^host: last 2m, one row per 10s/);

    const ghost = await nova('stats', 'nv13m-ghost');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('There is no VM or capsule named "nv13m-ghost"');

    const badSince = await nova('stats', '--since', 'yesterday');
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('"yesterday" is not a duration');
  }, 90_000);

  it('is scraped from `nova web` at /metrics with the token, and refused without it', async () => {
    web = spawn(process.execPath, [CLI_BUNDLE, '--socket', (helper as RunningHelper).socketPath, '--no-autostart', 'web', '--port', '0', '--renderer-dir', join(REPO, 'out/renderer')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    web.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    web.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const printed = await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out)?.[0], 20_000, `nova web to print its URL (it printed ${JSON.stringify(out)})`);
    const url = new URL(printed);
    const token = url.searchParams.get('token') as string;

    expect((await get(url, {})).status).toBe(401);
    expect((await get(url, { Authorization: 'Bearer not-the-token' })).status).toBe(401);
    const scrape = await get(url, { Authorization: `Bearer ${token}` });
    expect(scrape.status).toBe(200);
    const families = parseOpenMetrics(scrape.body);
    const cpu = families.get('nova_capsule_cpu_percent')?.samples.find((s) => s.labels.name === CAPSULE);
    expect(cpu?.value).toBeGreaterThanOrEqual(0);
    expect(families.get('nova_capsule_memory_bytes')?.samples.find((s) => s.labels.name === CAPSULE)?.value).toBeGreaterThan(0);
    expect(families.get('nova_host_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
    expect(families.get('nova_vm_cpu_percent')?.type).toBe('gauge');
  }, 60_000);
});
