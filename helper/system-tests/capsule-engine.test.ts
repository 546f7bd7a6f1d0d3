// The capsule engine with the real runc, from a busybox image built at test time:
// logs, env and workdir, volumes, limits (memory/OOM, pids, CPU), restart policy,
// snapshots, recovery by a second manager, and bad input refused with nothing half-made.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNovaError } from '../../src-shared/errors.js';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { capsuleTestEnv, type CapsuleTestEnv } from './fixtures/capsule-harness.js';
import { capsuleSpec } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

let env: CapsuleTestEnv;
let m: CapsuleManager;

beforeAll(async () => {
  env = await capsuleTestEnv('eng');
  await env.images.import(env.rootfsTar, 'nv5-busybox');
  m = await env.newManager();
});

afterAll(async () => {
  await env?.cleanup();
});

async function logText(name: string): Promise<string> {
  const page = await m.logs(name, {});
  return page.lines.map((l) => l.text).join('\n');
}

async function exited(name: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const c = await m.get(name);
    return c.state === 'stopped' && c.lastExit ? c : null;
  }, timeoutMs, `${name} to exit`);
}

/** A function is called inside: the contract's parse (the helper's boundary) refuses before any promise exists. */
async function errorCode(p: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'ok';
  } catch (err) {
    return isNovaError(err) ? `${err.code}: ${err.message}` : `not a NovaError: ${String(err)}`;
  }
}

describe('capsule engine (runc)', () => {
  it('runs a command and its output is in the logs, with env and working dir applied', async () => {
    await m.create(capsuleSpec({
      name: 'nv5-hello',
      image: 'nv5-busybox',
      command: ['sh', '-c', 'echo "hello $GREETING from $(pwd)"; echo oops >&2'],
      env: { GREETING: 'capsule' },
      workdir: '/work',
    }));
    const started = await m.start('nv5-hello');
    expect(['running', 'stopped']).toContain(started.state);
    const c = await exited('nv5-hello');
    expect(c.lastExit).toMatchObject({ exitCode: 0, reason: 'exited' });
    const page = await m.logs('nv5-hello', {});
    // stdout and stderr are two pipes: their relative order is the scheduler's, not ours.
    expect(page.lines.map((l) => [l.stream, l.text]).sort()).toEqual([
      ['stderr', 'oops'],
      ['stdout', 'hello capsule from /work'],
    ]);
    expect(Date.parse(page.lines[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('writes through a volume and refuses writes to a read-only one', async () => {
    const rw = join(env.volumeRoot, 'rw');
    const ro = join(env.volumeRoot, 'ro');
    await mkdir(rw);
    await mkdir(ro);
    await writeFile(join(ro, 'keep'), 'host file\n');
    await m.create(capsuleSpec({
      name: 'nv5-vol',
      image: 'nv5-busybox',
      command: ['sh', '-c', 'echo inside > /data/out.txt; cat /conf/keep; if echo x > /conf/new; then echo ro-writable; else echo ro-refused; fi'],
      volumes: [
        { source: rw, target: '/data' },
        { source: ro, target: '/conf', readOnly: true },
      ],
    }));
    await m.start('nv5-vol');
    await exited('nv5-vol');
    expect(await readFile(join(rw, 'out.txt'), 'utf8')).toBe('inside\n');
    expect(existsSync(join(ro, 'new'))).toBe(false);
    const text = await logText('nv5-vol');
    expect(text).toContain('host file');
    expect(text).toContain('ro-refused');
    expect(text).toMatch(/Read-only file system/);
  });

  it('reports a process allocating past the memory limit as OOM-killed', async () => {
    await m.create(capsuleSpec({
      name: 'nv5-oom',
      image: 'nv5-busybox',
      memoryBytes: 16 * 1024 * 1024,
      command: ['sh', '-c', 'sleep 0.3; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    }));
    await m.start('nv5-oom');
    const c = await exited('nv5-oom', 30_000);
    expect(c.lastExit?.reason).toBe('oom-killed');
    expect(c.lastExit?.exitCode).toBe(137);
    expect(await logText('nv5-oom')).not.toContain('survived');
  });

  it('stops a fork loop at the pids limit', async () => {
    await m.create(capsuleSpec({
      name: 'nv5-pids',
      image: 'nv5-busybox',
      pids: 16,
      // The inner shell forks until the kernel refuses (and dies of it); the outer one reports.
      command: ['sh', '-c', 'sh -c "while :; do sleep 30 & done"; echo loop-ended; exec sleep 30'],
    }));
    await m.start('nv5-pids');
    await waitFor(async () => (await logText('nv5-pids')).includes('loop-ended'), 10_000, 'the fork loop to end');
    const metrics = await m.metrics('nv5-pids');
    expect(metrics.pids).toBeGreaterThanOrEqual(15);
    expect(metrics.pids).toBeLessThanOrEqual(16);
    expect((await m.get('nv5-pids')).state).toBe('running');
    expect(await logText('nv5-pids')).toMatch(/can't fork|Resource temporarily unavailable/i);
    await m.stop('nv5-pids', 1);
  });

  it('caps CPU use at the CPU limit', async () => {
    await m.create(capsuleSpec({ name: 'nv5-cpu', image: 'nv5-busybox', cpus: 0.2, command: ['sh', '-c', 'while :; do :; done'] }));
    await m.start('nv5-cpu');
    await new Promise((r) => setTimeout(r, 300));
    const a = await m.metrics('nv5-cpu');
    await new Promise((r) => setTimeout(r, 1500));
    const b = await m.metrics('nv5-cpu');
    const share = (b.cpuUsageNs! - a.cpuUsageNs!) / ((Date.parse(b.at) - Date.parse(a.at)) * 1e6);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
    await m.stop('nv5-cpu', 1);
    const c = await m.get('nv5-cpu');
    expect(c.lastExit?.reason).toBe('stopped');
  });

  it('restarts a failing command three times under on-failure:3, then stops', async () => {
    await m.create(capsuleSpec({
      name: 'nv5-flaky',
      image: 'nv5-busybox',
      command: ['sh', '-c', 'echo attempt; exit 3'],
      restart: { mode: 'on-failure', maxRetries: 3 },
    }));
    await m.start('nv5-flaky');
    const c = await waitFor(async () => {
      const s = await m.get('nv5-flaky');
      return s.state === 'stopped' && s.restartCount === 3 ? s : null;
    }, 20_000, 'the restarts to end');
    expect(c.lastExit).toMatchObject({ exitCode: 3, reason: 'exited' });
    await new Promise((r) => setTimeout(r, 400));
    expect((await m.get('nv5-flaky')).restartCount).toBe(3);
    expect((await logText('nv5-flaky')).split('\n').filter((l) => l === 'attempt')).toHaveLength(4);
  });

  it('snapshots the writable layer and restores old content', async () => {
    await m.create(capsuleSpec({ name: 'nv5-snap', image: 'nv5-busybox', command: ['sleep', '600'] }));
    await m.start('nv5-snap');
    await m.exec('nv5-snap', ['sh', '-c', 'echo version-1 > /root/state.txt; rm /etc/motd']);
    const snap = await m.snapshotCreate('nv5-snap', 'before');
    expect(snap.kind).toBe('archive');
    expect((await m.get('nv5-snap')).state).toBe('running');
    await m.exec('nv5-snap', ['sh', '-c', 'echo version-2 > /root/state.txt; echo new > /etc/motd']);
    expect(await m.snapshotRestore('nv5-snap', 'before').catch((e: Error) => e.message)).toMatch(/stop it/);
    await m.stop('nv5-snap', 1);
    await m.snapshotRestore('nv5-snap', 'before');
    await m.start('nv5-snap');
    const r = await m.exec('nv5-snap', ['sh', '-c', 'cat /root/state.txt; test -e /etc/motd && echo motd-present || echo motd-deleted']);
    expect(r.stdout).toBe('version-1\nmotd-deleted\n');
    expect((await m.snapshotList('nv5-snap')).map((s) => s.name)).toEqual(['before']);
    await m.snapshotDelete('nv5-snap', 'before');
    expect(await m.snapshotList('nv5-snap')).toEqual([]);
    await m.stop('nv5-snap', 1);
  });

  it('keeps the writable layer across stop and start, and pauses and resumes', async () => {
    await m.create(capsuleSpec({ name: 'nv5-keep', image: 'nv5-busybox', command: ['sleep', '600'], stopTimeoutSec: 1 }));
    await m.start('nv5-keep');
    await m.exec('nv5-keep', ['sh', '-c', 'echo kept > /root/k']);
    expect((await m.pause('nv5-keep')).state).toBe('paused');
    expect((await m.resume('nv5-keep')).state).toBe('running');
    await m.restart('nv5-keep');
    expect((await m.exec('nv5-keep', ['cat', '/root/k'])).stdout).toBe('kept\n');
    await m.stop('nv5-keep', 1);
  });

  it('a new manager over the same state dir still manages running capsules, and logs keep flowing', async () => {
    await m.create(capsuleSpec({ name: 'nv5-tick', image: 'nv5-busybox', command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done'] }));
    await m.create(capsuleSpec({ name: 'nv5-crash', image: 'nv5-busybox', command: ['sh', '-c', 'sleep 1; exit 7'], restart: { mode: 'on-failure', maxRetries: 1 } }));
    await m.start('nv5-tick');
    await m.start('nv5-crash');
    await waitFor(async () => (await m.logs('nv5-tick', {})).lines.length >= 3, 10_000, 'ticks');
    const before = (await m.get('nv5-tick')).pid;
    // The old manager goes away (as a killed helper does); the monitors and containers stay.
    await m.close();
    const seen = (await m.logs('nv5-tick', {})).cursor;
    await new Promise((r) => setTimeout(r, 300));
    m = await env.newManager();
    const c = await m.get('nv5-tick');
    expect(c.state).toBe('running');
    expect(c.pid).toBe(before);
    const more = await waitFor(async () => {
      const p = await m.logs('nv5-tick', { afterSeq: seen });
      return p.lines.length >= 3 ? p : null;
    }, 10_000, 'more ticks');
    expect(more.lines[0]!.text).toMatch(/^tick \d+$/);
    // The restart policy is still applied by the new manager.
    const crash = await waitFor(async () => {
      const s = await m.get('nv5-crash');
      return s.state === 'stopped' && s.restartCount === 1 ? s : null;
    }, 15_000, 'nv5-crash restarted once and stopped');
    expect(crash.lastExit?.exitCode).toBe(7);
    await m.stop('nv5-tick', 1);
    expect((await m.get('nv5-tick')).state).toBe('stopped');
  });

  describe('bad input: a clear error and nothing half-made', () => {
    const capsuleDirs = () => readdirSync(join(env.stateDir, 'capsules')).sort();

    it('refuses a volume path with .. or a symlink out of its root', async () => {
      const before = capsuleDirs();
      await mkdir(join(env.volumeRoot, 'ok'), { recursive: true });
      await symlink('/etc', join(env.volumeRoot, 'escape'));
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad1', image: 'nv5-busybox', command: ['true'], volumes: [{ source: `${env.volumeRoot}/ok/../../`, target: '/x' }] })))).toMatch(/^invalid_argument: .*"\.\."/);
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad1', image: 'nv5-busybox', command: ['true'], volumes: [{ source: join(env.volumeRoot, 'escape'), target: '/x' }] })))).toMatch(/^invalid_argument: .*is a symbolic link; Nova follows no links/);
      // Without saying where the link points.
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad1', image: 'nv5-busybox', command: ['true'], volumes: [{ source: join(env.volumeRoot, 'escape'), target: '/x' }] })))).not.toMatch(/"\/etc"/);
      expect(capsuleDirs()).toEqual(before);
    });

    it('refuses a malformed image reference', async () => {
      expect(await errorCode(env.images.pull('Not A/Ref::x'))).toMatch(/^invalid_argument: Malformed image reference/);
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad2', image: 'no-such-image', command: ['true'] })))).toMatch(/^not_found: Image "no-such-image" not found/);
      expect(existsSync(join(env.stateDir, 'capsules', 'nv5-bad2'))).toBe(false);
    });

    it('refuses an unknown runtime', async () => {
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad3', image: 'nv5-busybox', command: ['true'], runtime: 'kata' })))).toMatch(/^invalid_argument: Unknown OCI runtime "kata"/);
      expect(await errorCode(env.newManager({ runtime: 'youki' }))).toMatch(/^invalid_argument: Unknown OCI runtime "youki"/);
      expect(existsSync(join(env.stateDir, 'capsules', 'nv5-bad3'))).toBe(false);
    });

    it('refuses a duplicate name and leaves the first capsule alone', async () => {
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-hello', image: 'nv5-busybox', command: ['false'] })))).toMatch(/^already_exists/);
      expect((await m.get('nv5-hello')).spec.command).toEqual(['sh', '-c', 'echo "hello $GREETING from $(pwd)"; echo oops >&2']);
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'Bad/Name', image: 'nv5-busybox' })))).toMatch(/^invalid_argument/);
    });

    it('refuses a memory limit below what the runtime accepts', async () => {
      const before = capsuleDirs();
      expect(await errorCode(() => m.create(capsuleSpec({ name: 'nv5-bad4', image: 'nv5-busybox', command: ['true'], memoryBytes: 1024 * 1024 })))).toMatch(/^invalid_argument: .*at least 6291456 bytes/);
      expect(capsuleDirs()).toEqual(before);
    });
  });
});
