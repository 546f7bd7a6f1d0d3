// Capsule health checks through the real helper (in a test namespace, joined with nsenter,
// as the network tests do) and real runc: an exec check turns healthy, then unhealthy when
// the file it tests is removed, with capsule.healthChanged events, and `on-failure` restarts
// the capsule; an http check against busybox httpd on a Nova network, swapped live for a tcp
// check; a restarted helper checks a running capsule again; `nova capsule set` changes a
// stopped capsule's memory and its next start runs with it.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { HealthCheck } from '../../src-shared/health.js';
import type { NovaEvent } from '../../src-shared/index.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { errorOf } from './fixtures/error-of.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv9h${RUN}`;
const NET = `nv9hn${RUN}`;
const IMAGE = `nv9h-${RUN}-busybox`;
const C = (label: string) => `nv9h-${RUN}-${label}`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
const events: NovaEvent[] = [];
const made: string[] = [];

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv9h-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => events.push(e));
  client.start();
  await client.waitForConnection();
  await client.call('ociImage.import', { path: tar, name: IMAGE });
  await client.call('network.create', { name: NET, subnet: '10.91.0.1/24' });
}, 120_000);

afterAll(async () => {
  try {
    for (const name of made) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, made, [NS]);
    spawnSync('ip', ['netns', 'delete', NS]);
  }
}, 60_000);

/** Quick checks for a test; runc exec under TCG-loaded CI can take a second, hence the timeout. */
const check = (probe: HealthCheck['probe'], retries = 2): HealthCheck => ({ probe, intervalMs: 300, timeoutMs: 5000, retries, startPeriodMs: 0 });

function healthEvents(name: string): string[] {
  return events.flatMap((e) => (e.name === 'capsule.healthChanged' && e.payload.name === name ? [e.payload.health?.status ?? 'none'] : []));
}

async function healthIs(name: string, status: string, timeoutMs = 20_000) {
  return waitFor(async () => {
    const c = await client.call('capsule.get', { name });
    return c.health?.status === status ? c : null;
  }, timeoutMs, `${name} to be ${status}`);
}

/** Async, never spawnSync: the helper logs to a pipe this process drains. */
function cli(...args: string[]) {
  return execa(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', ...args], { reject: false, timeout: 60_000 });
}

describe('capsule health checks', () => {
  it('an exec check turns healthy, unhealthy when its file goes, and on-failure restarts the capsule, healthy again', async () => {
    const name = C('exec');
    made.push(name);
    await client.call('capsule.create', {
      name,
      image: IMAGE,
      command: ['sh', '-c', 'touch /tmp/ok; exec sleep 600'],
      restart: 'on-failure',
      stopTimeoutSec: 1,
      health: check({ kind: 'exec', command: ['test', '-f', '/tmp/ok'] }),
    });
    expect((await client.call('capsule.get', { name })).health).toBeNull();
    await client.call('capsule.start', { name });
    const healthy = await healthIs(name, 'healthy');
    expect(healthy.health).toMatchObject({ failingStreak: 0, lastResult: 'exit 0' });
    const ls = await cli('capsule', 'ls');
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+HEALTH\s+IMAGE/);
    expect(ls.stdout.split('\n').find((l) => l.startsWith(name))).toMatch(/running\s+healthy\s+/);

    await client.call('capsule.exec', { name, command: ['rm', '/tmp/ok'] });
    await waitFor(() => healthEvents(name).includes('unhealthy'), 20_000, 'capsule.healthChanged unhealthy');
    const restarted = await waitFor(async () => {
      const c = await client.call('capsule.get', { name });
      return c.restartCount === 1 && c.health?.status === 'healthy' ? c : null;
    }, 30_000, `${name} restarted by its policy and healthy again`);
    expect(restarted.state).toBe('running');
    expect(restarted.lastExit?.message).toMatch(/^stopped by Nova to restart it: its health check failed 2 times in a row \(last: exit 1\)/);
    // starting -> healthy -> (failing) -> unhealthy -> checks stop with the run -> a new run starts -> healthy
    expect(healthEvents(name)).toEqual(['starting', 'healthy', 'healthy', 'unhealthy', 'none', 'starting', 'healthy']);

    await client.call('capsule.stop', { name, timeoutSec: 1 });
    expect((await client.call('capsule.get', { name })).health).toBeNull();
    expect(healthEvents(name).at(-1)).toBe('none');
  }, 120_000);

  it('an http check against busybox httpd on a Nova network, then a tcp check swapped in while it runs', async () => {
    const name = C('web');
    made.push(name);
    await client.call('capsule.create', {
      name,
      image: IMAGE,
      command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/ok.html && exec httpd -f -p 8080 -h /www'],
      network: NET,
      health: check({ kind: 'http', port: 8080, path: '/ok.html', status: 200 }, 1),
    });
    await client.call('capsule.start', { name });
    const up = await healthIs(name, 'healthy');
    const address = up.network!.address.split('/')[0]!;
    expect(up.health?.lastResult).toBe(`HTTP 200 from http://${address}:8080/ok.html`);

    await client.call('capsule.exec', { name, command: ['rm', '/www/ok.html'] });
    const down = await healthIs(name, 'unhealthy');
    expect(down.health?.lastResult).toBe(`HTTP 404 from http://${address}:8080/ok.html, expected 200`);
    // restart = "no": it stays up, unhealthy.
    expect(down.state).toBe('running');
    expect(down.restartCount).toBe(0);

    // A change of the check alone is taken while it runs: the monitor is swapped.
    const swapped = await client.call('capsule.update', { name, health: check({ kind: 'tcp', port: 8080 }, 1) });
    expect(swapped.state).toBe('running');
    const tcp = await healthIs(name, 'healthy');
    expect(tcp.health?.lastResult).toBe(`connected to ${address}:8080`);
    await client.call('capsule.update', { name, health: check({ kind: 'tcp', port: 8081 }, 1) });
    expect((await healthIs(name, 'unhealthy')).health?.lastResult).toBe(`${address}:8081: connection refused`);

    // Anything beyond the check needs it stopped.
    const refused = await errorOf(client.call('capsule.update', { name, memory: '64Mi' }));
    expect(refused).toEqual({ code: 'failed_precondition', message: `Capsule "${name}" is running: stop it before changing its memory (they apply at its next start; only a health check and autostart change while it runs)` });
  }, 120_000);

  it('refuses a check the capsule cannot run, at create and at update', async () => {
    const name = C('bad');
    const serial = await errorOf(client.call('capsule.create', { name, image: IMAGE, health: check({ kind: 'serial', pattern: 'x' }) }));
    expect(serial.code).toBe('invalid_argument');
    expect(serial.message).toMatch(/a serial health check reads a VM's serial console/);
    made.push(name);
    await client.call('capsule.create', { name, image: IMAGE, command: ['sleep', '600'] });
    const tcp = await errorOf(client.call('capsule.update', { name, health: check({ kind: 'tcp', port: 80 }) }));
    expect(tcp).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/joins none: give it a Nova network or use exec/) as unknown });
  }, 60_000);

  it('a helper restarted while a capsule runs checks it again', async () => {
    const name = C('keep');
    made.push(name);
    await client.call('capsule.create', { name, image: IMAGE, command: ['sh', '-c', 'touch /tmp/ok; exec sleep 600'], health: check({ kind: 'exec', command: ['test', '-f', '/tmp/ok'] }) });
    await client.call('capsule.start', { name });
    const before = await healthIs(name, 'healthy');
    client.close();
    await helper!.stop();
    helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.onEvent((e) => events.push(e));
    client.start();
    await client.waitForConnection();
    const after = await healthIs(name, 'healthy');
    // The same run, found again, with a fresh verdict.
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.health!.since > before.health!.since).toBe(true);
  }, 120_000);

  it('nova capsule set changes a stopped capsule\'s memory, and its next start runs with that limit', async () => {
    const name = C('mem');
    made.push(name);
    await client.call('capsule.create', { name, image: IMAGE, command: ['sleep', '600'], memory: '128Mi' });
    const set = await cli('capsule', 'set', name, '--memory', '64Mi', '--env', 'NV9H=yes');
    expect({ code: set.exitCode, out: set.stdout, err: set.stderr }).toEqual({ code: 0, out: `${name} changed; its next start runs with it`, err: '' });
    const c = await client.call('capsule.get', { name });
    expect(c.spec.memoryBytes).toBe(64 * 1024 * 1024);
    expect(c.spec.env).toEqual({ NV9H: 'yes' });
    await client.call('capsule.start', { name });
    const metrics = await client.call('capsule.metrics', { name });
    expect(metrics.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect((await client.call('capsule.exec', { name, command: ['sh', '-c', 'echo $NV9H'] })).stdout).toBe('yes\n');

    const running = await cli('capsule', 'set', name, '--memory', '32Mi');
    expect(running.exitCode).toBe(1);
    expect(running.stderr).toMatch(/is running: stop it before changing its memory \(they apply at its next start/);
    await client.call('capsule.stop', { name, timeoutSec: 0 });
    const low = await cli('capsule', 'set', name, '--memory', '1Mi');
    expect(low.exitCode).toBe(2);
  }, 120_000);
});
