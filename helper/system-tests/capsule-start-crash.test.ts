// kill -9 of the helper at each step of a capsule start (a capsule on a Nova network): the
// helper is launched with NOVA_TEST_PAUSE_AT, stops at the step, says so in a file, and is
// killed there. The next helper must report the capsule `stopped` when its start had not
// finished (container and monitor killed, veth and namespace given back) and `running` when
// it had, never run two containers for it, start and stop it cleanly afterwards, and leave no
// veth, mount, cgroup or nft rule of it after delete.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { attachmentIfname } from '../src/network/interface-names.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { commandOf, processesMatching } from './fixtures/frozen-child.js';
import { clearPauseSignal, pausedStart } from './fixtures/paused-start.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv4s${RUN}`;
const NET = `nv4sc${RUN}`;
const IMAGE = `nv4s-${RUN}-busybox`;
const C = (label: string) => `nv4s-${RUN}-${label}`;
const made: string[] = [];
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

async function start(pauseAt?: string): Promise<void> {
  const env: Record<string, string> = pauseAt ? { NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: pauseAt, NOVA_TEST_PAUSE_SIGNAL: join(dir, 'paused') } : {};
  helper = await startHelper(dir, { netns: NS, env, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

async function killHelper(): Promise<void> {
  client?.close();
  await helper?.kill('SIGKILL');
  client = null;
}

function c(): HelperClient {
  if (!client) throw new Error('no helper');
  return client;
}

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv4s-cap-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  await start();
  await c().call('ociImage.import', { path: tar, name: IMAGE });
  await c().call('network.create', { name: NET, subnet: '10.95.74.1/24' });
}, 120_000);

afterAll(async () => {
  try {
    if (!client) await start().catch(() => undefined);
    for (const name of made) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, made, [NS]);
  }
}, 60_000);

/** The capsule's containers as runc keeps them under this helper's runtime root. */
function containers(name: string): Array<{ id: string; status: string; pid: number }> {
  const out = execFileSync('runc', ['--root', join(dir, 'state', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' });
  const list = (JSON.parse(out || 'null') ?? []) as Array<{ id: string; status: string; pid: number }>;
  return list.filter((x) => x.id === `nova-${name}` && x.status !== 'stopped');
}

function monitors(name: string): Promise<number[]> {
  return processesMatching(commandOf('conmon', `nova-${name}`, dir));
}

function vethExists(name: string): boolean {
  return spawnSync('ip', ['-n', NS, 'link', 'show', 'dev', attachmentIfname('nv', NET, name)], { timeout: 5_000 }).status === 0;
}

function mountsOf(name: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(join(dir, 'state', 'capsules', name)));
}

function cgroupsOf(name: string): string[] {
  return ['unified', 'memory', 'pids', 'cpu', 'freezer', 'systemd'].map((ctl) => join('/sys/fs/cgroup', ctl, 'nova', `nova-${name}`)).filter((p) => existsSync(p));
}

/** Nothing of the run is left: no container, monitor, veth or network namespace. */
async function expectNoRun(name: string): Promise<void> {
  expect(containers(name)).toEqual([]);
  await waitFor(async () => (await monitors(name)).length === 0, 10_000, `the monitor of ${name} to end`);
  expect(vethExists(name)).toBe(false);
  expect(existsSync(`/run/netns/nova-${name}`)).toBe(false);
}

async function createCapsule(label: string, hostPort?: number): Promise<string> {
  const name = C(label);
  made.push(name);
  const ports = hostPort ? [{ hostPort, guestPort: 80 }] : [];
  await c().call('capsule.create', { name, image: IMAGE, command: ['sleep', '300'], network: NET, ports });
  return name;
}

/** Starts the capsule under a helper paused at `step`, waits for the pause, and kills the helper there. */
async function killDuringStart(name: string, step: string, atPause: () => Promise<void>): Promise<void> {
  await killHelper();
  await clearPauseSignal(join(dir, 'paused'));
  await start(step);
  const { pending } = await pausedStart(join(dir, 'paused'), step, helper!.process.pid, () => c().call('capsule.start', { name }));
  await atPause();
  await killHelper();
  await pending;
  await start();
}

/** After the crash: `nova capsule start` works and gives one container, stop leaves none, delete leaves no trace. */
async function startStopDelete(name: string): Promise<void> {
  const started = spawnSync(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', 'capsule', 'start', name], { encoding: 'utf8', timeout: 60_000 });
  expect(started.status, started.stderr).toBe(0);
  expect((await c().call('capsule.get', { name })).state).toBe('running');
  expect(containers(name)).toHaveLength(1);
  expect(await monitors(name)).toHaveLength(1);
  expect(vethExists(name)).toBe(true);
  await c().call('capsule.stop', { name, timeoutSec: 0 });
  await expectNoRun(name);
  await c().call('capsule.delete', { name });
  expect(mountsOf(name)).toEqual([]);
  expect(cgroupsOf(name)).toEqual([]);
  expect(execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' })).not.toContain(attachmentIfname('nv', NET, name));
  expect((await c().call('network.get', { name: NET })).attachments.map((a) => a.resource)).not.toContain(name);
}

describe('kill -9 of the helper during a capsule start', () => {
  it('after the layer mount: the capsule is stopped, no container, its veth, namespace and port forward given back', async () => {
    const name = await createCapsule('mount', 18474);
    await killDuringStart(name, 'capsule-start:after-mount', async () => {
      expect(vethExists(name)).toBe(true);
      expect(containers(name)).toEqual([]);
      expect((await c().call('network.forwardList', { network: NET })).forwards.map((f) => f.hostPort)).toEqual([18474]);
    });
    expect((await c().call('network.forwardList', { network: NET })).forwards).toEqual([]);
    await expectNoRun(name);
    expect(await c().call('capsule.get', { name })).toMatchObject({ state: 'stopped', lastExit: { reason: 'start-failed', message: expect.stringContaining('while it started') } });
    await startStopDelete(name);
  }, 180_000);

  it('after runc made the container: it and its monitor are killed, the capsule is stopped', async () => {
    const name = await createCapsule('create');
    await killDuringStart(name, 'capsule-start:after-create', async () => {
      expect(containers(name)).toHaveLength(1);
      expect(await monitors(name)).toHaveLength(1);
    });
    await expectNoRun(name);
    expect(await c().call('capsule.get', { name })).toMatchObject({ state: 'stopped', lastExit: { reason: 'start-failed', message: expect.stringContaining('while it started') } });
    await startStopDelete(name);
  }, 180_000);

  it('after the start finished: the capsule is running, adopted, one container; a second start is refused', async () => {
    const name = await createCapsule('started');
    await killDuringStart(name, 'capsule-start:after-start', async () => {
      expect(containers(name)).toHaveLength(1);
    });
    expect((await c().call('capsule.get', { name })).state).toBe('running');
    expect(containers(name)).toHaveLength(1);
    await expect(c().call('capsule.start', { name })).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(containers(name)).toHaveLength(1);
    expect(await monitors(name)).toHaveLength(1);
    await c().call('capsule.stop', { name, timeoutSec: 0 });
    await expectNoRun(name);
    await startStopDelete(name);
  }, 180_000);
});

describe('a running container that no record names', () => {
  it('is stopped by the next helper, never run beside a second one', async () => {
    const name = await createCapsule('norec');
    await c().call('capsule.start', { name });
    expect(containers(name)).toHaveLength(1);
    await killHelper();
    // The record loses its run (as a record written before the run was would say).
    const file = join(dir, 'state', 'capsules', name, 'capsule.json');
    const rec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...rec, run: null }));
    await start();
    await expectNoRun(name);
    expect(await c().call('capsule.get', { name })).toMatchObject({ state: 'stopped', lastExit: { reason: 'start-failed', message: expect.stringContaining('without a record') } });
    await startStopDelete(name);
  }, 180_000);
});
