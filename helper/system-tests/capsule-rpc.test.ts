// Capsules and OCI images through the real helper, as the app and the CLI reach them: over
// the socket, validated, with events; an interactive shell from the real CLI under node-pty;
// a pull from a real registry (Debian's docker-registry) on 127.0.0.1. The helper runs in the
// host's namespaces: `ip netns exec` remounts /sys, hiding the cgroup mounts runc needs, and a
// helper without networks touches no interface or rule. Each capsule has its own netns.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { NovaEvent, OciImage } from '../../src-shared/index.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { CLI_BUNDLE, HELPER_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { startRegistry, type LocalRegistry } from './fixtures/local-registry.js';
import { openCliShell } from './fixtures/cli-shell.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(3).toString('hex');
const C = (label: string) => `nv5-${RUN}-${label}`;
const IMAGE = `nv5-${RUN}-busybox`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
let rootfsTar = '';
let registry: LocalRegistry | null = null;
const events: NovaEvent[] = [];
let imported: OciImage;
const made: string[] = [];

beforeAll(async () => {
  dir = await makeTestDir(`nv5r-${RUN}`);
  rootfsTar = await makeBusyboxRootfs(dir);
  await mkdir(join(dir, 'vols'));
  helper = await startHelper(dir, {
    extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc'],
  });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => events.push(e));
  client.start();
  await client.waitForConnection();
  imported = await client.call('ociImage.import', { path: rootfsTar, name: IMAGE });
}, 120_000);

afterAll(async () => {
  try {
    for (const name of made) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    registry?.stop();
    if (dir) await removeHelperCapsuleState(dir, made);
  }
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 60_000 });
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'ok', message: '' };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? 'not a NovaError', message: e.message ?? String(err) };
  }
}

async function createCapsule(label: string, spec: Record<string, unknown>) {
  const name = C(label);
  made.push(name);
  return client.call('capsule.create', { name, image: IMAGE, ...spec });
}

async function stoppedWithExit(name: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const c = await client.call('capsule.get', { name });
    return c.state === 'stopped' && c.lastExit ? c : null;
  }, timeoutMs, `${name} to stop`);
}

describe('capsules through the helper', () => {
  it('imported a rootfs tarball as an OCI image (beforeAll), listed in both image listings', async () => {
    const img = imported;
    expect(img.name).toBe(`${IMAGE}:latest`);
    expect((await client.call('ociImage.list', {})).images.map((i) => i.name)).toContain(`${IMAGE}:latest`);
    const inspected = await client.call('ociImage.inspect', { name: IMAGE });
    expect(inspected.digest).toBe(img.digest);
    const ls = cli('--json', 'image', 'ls');
    expect(ls.status, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ kind: string; name: string }>).find((i) => i.name === `${IMAGE}:latest`)?.kind).toBe('oci');
  });

  it('creates and runs a capsule over RPC, with state events, and its logs read back', async () => {
    const name = C('hello');
    await createCapsule('hello', { command: ['sh', '-c', 'echo "hello $WHO from $(pwd)"; echo to-stderr >&2'], env: { WHO: 'rpc' }, workdir: '/work' });
    await client.call('capsule.start', { name });
    const c = await stoppedWithExit(name);
    expect(c.lastExit).toMatchObject({ exitCode: 0, reason: 'exited' });
    expect(c.imageName).toBe(`${IMAGE}:latest`);
    const page = await client.call('capsule.logs', { name });
    expect(page.lines.map((l) => [l.stream, l.text]).sort()).toEqual([
      ['stderr', 'to-stderr'],
      ['stdout', 'hello rpc from /work'],
    ]);
    expect(page.cursor).toBe(Math.max(...page.lines.map((l) => l.seq)));
    await waitFor(async () => {
      const states = events.filter((e) => e.name === 'capsule.stateChanged' && e.payload.name === name).map((e) => (e.payload as { state: string }).state);
      return states.includes('created') && states.includes('running') && states.includes('stopped');
    }, 10_000, 'capsule.stateChanged events');
    const logs = cli('logs', 'container', name);
    expect(logs.status, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('hello rpc from /work\n');
    expect(logs.stderr).toBe('to-stderr\n');
    const ls = cli('--json', 'capsule', 'ls');
    expect((JSON.parse(ls.stdout) as { capsules: Array<{ name: string; state: string }> }).capsules.find((x) => x.name === name)?.state).toBe('stopped');
  });

  it('follows logs with a cursor: a waiting call returns only the new lines', async () => {
    const name = C('tick');
    await createCapsule('tick', { command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done'], stopTimeoutSec: 1 });
    await client.call('capsule.start', { name });
    const first = await waitFor(async () => {
      const p = await client.call('capsule.logs', { name });
      return p.lines.length > 0 ? p : null;
    }, 10_000, 'a first tick');
    const next = await client.call('capsule.logs', { name, afterSeq: first.cursor, waitMs: 5000 });
    expect(next.lines.length).toBeGreaterThan(0);
    expect(next.lines.every((l) => l.seq > first.cursor)).toBe(true);
    expect(next.lines[0]!.text).toMatch(/^tick \d+$/);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await client.call('capsule.logs', { name, since: future })).lines).toEqual([]);
    const metrics = await client.call('capsule.metrics', { name });
    expect(metrics.pids).toBeGreaterThanOrEqual(1);
    const stopped = await client.call('capsule.stop', { name });
    expect(stopped.lastExit?.reason).toBe('stopped');
  });

  it('runs one-off commands through capsule.exec from the CLI, with the exit code kept', async () => {
    const name = C('sh');
    await createCapsule('sh', { command: ['sleep', '600'], stopTimeoutSec: 1 });
    expect(cli('capsule', 'start', name).stdout).toMatch(/running/);
    const ok = cli('capsule', 'exec', name, '--', 'sh', '-c', 'echo $((6*7)); echo err >&2');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('42\n');
    expect(ok.stderr).toBe('err\n');
    const failing = cli('capsule', 'exec', name, '--', 'sh', '-c', 'exit 3');
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/exited with 3/);
  });

  it('opens an interactive shell from `nova shell container NAME` under a pty: type, read back, exit', async () => {
    const name = C('tty');
    await createCapsule('tty', { command: ['sleep', '600'], stopTimeoutSec: 1 });
    await client.call('capsule.start', { name });
    const term = openCliShell({ socketPath: helper!.socketPath, capsule: name, cwd: dir, helperLogs: () => helper!.logs() });
    try {
      await term.see('the shell prompt', /\/ # /);
      // The shell sees the size the CLI had when it connected.
      term.write('stty size\r');
      await term.see('the terminal size', /\r+\n30 100\r+\n/);
      term.write('echo $((6*7))\r');
      await term.see('42 echoed back', /\r+\n42\r+\n/);
      term.resize(120, 40);
      await new Promise((r) => setTimeout(r, 200));
      term.write('stty size\r');
      await term.see('the new size after SIGWINCH', /\r+\n40 120\r+\n/);
      expect(await term.exit()).toBe(0);
    } finally {
      term.kill();
    }
    // The one-connection socket is gone with its session.
    await waitFor(async () => readdirSync(join(dir, 'run', 'terminals')).length === 0, 5000, 'the terminal socket to go');
  });

  it('reports an exit that a stop request raced as "exited" (the stop found it gone)', async () => {
    const name = C('race');
    await createCapsule('race', { command: ['sh', '-c', 'sleep 0.5; exit 0'], stopTimeoutSec: 5 });
    await client.call('capsule.start', { name });
    // conmon's exit file: the status, written when the container ends.
    const exitFile = join(dir, 'state', 'capsules', name, 'run', 'exit');
    // Freeze the helper, let the capsule end on its own, then ask for a stop: on waking, the
    // helper sees the stop request and the exit at once, in either order.
    helper!.process.kill('SIGSTOP');
    let stop: Promise<unknown>;
    try {
      await waitFor(async () => existsSync(exitFile), 10_000, 'the capsule to end on its own');
      await new Promise((r) => setTimeout(r, 20));
      stop = client.call('capsule.stop', { name });
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      helper!.process.kill('SIGCONT');
    }
    const stopped = (await stop) as { state: string; lastExit: { reason: string; exitCode: number } | null };
    expect(stopped.state).toBe('stopped');
    expect(stopped.lastExit).toMatchObject({ reason: 'exited', exitCode: 0 });
  });
});

describe('a pull from a real registry', () => {
  it('pulls an image pushed to a local docker-registry as an operation with progress, and runs it', async () => {
    registry = await startRegistry(dir);
    const ref = await registry.push(rootfsTar, 'nv5/busybox:1', ['sh', '-c', 'echo pulled-and-ran']);
    let opId = '';
    const img = await client.call('ociImage.pull', { reference: ref, tlsVerify: false, name: `nv5-${RUN}-pulled` }, { onOperation: (id) => (opId = id) });
    expect(img.source).toBe('pull');
    expect(img.config.cmd).toEqual(['sh', '-c', 'echo pulled-and-ran']);
    const steps = events.flatMap((e) => (e.name === 'operation.changed' && e.payload.id === opId ? [e.payload] : []));
    const phases = [...new Set(steps.map((o) => o.progress.phase))];
    expect(phases[0]).toBe('starting');
    expect(phases).toContain('resolving');
    expect(phases).toContain('copying blob 1 of 2');
    expect(phases.slice(-3)).toEqual(['unpacking', 'recording the image', 'done']);
    expect(steps.at(-1)).toMatchObject({ kind: 'ociImage.pull', state: 'succeeded', resource: { kind: 'ociImage', name: `nv5-${RUN}-pulled:latest` } });

    const name = C('pulled');
    made.push(name);
    await client.call('capsule.create', { name, image: `nv5-${RUN}-pulled` });
    await client.call('capsule.start', { name });
    await stoppedWithExit(name);
    expect((await client.call('capsule.logs', { name })).lines.map((l) => l.text)).toEqual(['pulled-and-ran']);
    registry.stop();
  });
});

describe('bad input over RPC keeps its codes, and nothing is half-made', () => {
  const capsuleDirs = () => readdirSync(join(dir, 'state', 'capsules')).filter((d) => !d.startsWith('.')).sort();

  it('refuses bad names, paths, references, runtimes, duplicates and limits', async () => {
    const before = capsuleDirs();
    const bad = C('bad');
    expect((await errorOf(client.call('capsule.create', { name: 'Bad/Name', image: IMAGE }))).code).toBe('invalid_argument');
    expect(await errorOf(client.call('capsule.create', { name: bad, image: IMAGE, volumes: [{ source: `${dir}/vols/../`, target: '/x' }] }))).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/"\.\."/) });
    expect((await errorOf(client.call('capsule.create', { name: bad, image: IMAGE, volumes: [{ source: '/etc', target: '/x' }] }))).message).toMatch(/outside the allowed volume roots/);
    expect((await errorOf(client.call('capsule.create', { name: bad, image: 'nv5-no-such-image' }))).code).toBe('not_found');
    expect(await errorOf(client.call('capsule.create', { name: bad, image: IMAGE, runtime: 'kata' }))).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/Unknown OCI runtime "kata"/) });
    expect(await errorOf(client.call('capsule.create', { name: bad, image: IMAGE, memoryBytes: 1024 * 1024 }))).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/at least 6291456 bytes/) });
    expect((await errorOf(client.call('capsule.create', { name: C('hello'), image: IMAGE }))).code).toBe('already_exists');
    expect((await errorOf(client.call('capsule.create', { name: bad, image: IMAGE, extra: 1 } as never))).code).toBe('invalid_argument');
    expect(capsuleDirs()).toEqual(before);
  });

  it('refuses bad images and wrong states', async () => {
    expect(await errorOf(client.call('ociImage.pull', { reference: 'Not A/Ref::x' }))).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/Malformed image reference/) });
    expect((await errorOf(client.call('ociImage.pull', { reference: 'registry.example.com/a:1', tlsVerify: false }))).message).toMatch(/only be turned off for a registry on 127\.0\.0\.1/);
    expect((await errorOf(client.call('ociImage.import', { path: '/etc/hostname', name: 'nv5-x' }))).message).toMatch(/outside the allowed folders/);
    expect((await errorOf(client.call('ociImage.remove', { name: IMAGE }))).code).toBe('failed_precondition');
    expect((await errorOf(client.call('capsule.start', { name: C('sh') }))).code).toBe('failed_precondition');
    expect((await errorOf(client.call('capsule.delete', { name: C('sh') }))).code).toBe('failed_precondition');
    expect((await errorOf(client.call('capsule.exec', { name: C('hello'), command: ['true'] }))).code).toBe('failed_precondition');
    expect((await errorOf(client.call('capsule.terminalOpen', { name: C('hello'), cols: 80, rows: 24 }))).code).toBe('failed_precondition');
    expect((await errorOf(client.call('capsule.get', { name: 'nv5-nothing' }))).code).toBe('not_found');
    const rm = cli('capsule', 'rm', C('sh'));
    expect(rm.status).toBe(1);
    expect(rm.stderr).toMatch(/running.*\[failed_precondition\]/);
    expect(cli('capsule', 'create', 'x', '--image', IMAGE, '--memory', '1Mi').status).toBe(2);
  });

  it('a helper asked for an unknown OCI runtime does not start, and says why', () => {
    const r = spawnSync(process.execPath, [HELPER_BUNDLE, '--socket', join(dir, 'other.sock'), '--state-dir', join(dir, 'other-state'), '--oci-runtime', 'youki'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Unknown OCI runtime "youki"/);
  });
});
