// One damaged state file hides and blocks nothing but itself: against the real helper
// and real qemu-img, a VM whose definition was cut short, a capsule whose record is
// garbage and a network whose file was truncated are listed as `broken` with the file
// and the fault (by the API and by `nova vm|capsule|net ls`), every verb on them says
// so, their names are not taken over by a create, `rm` removes them and what Nova made
// for them, and the helper starts and serves every other resource as before.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { startConnectedHelper } from './fixtures/connected-helper.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv4r';
const GOOD = `${PREFIX}-good`;
const BAD_VM = `${PREFIX}-badvm`;
const BAD_CAPSULE = `${PREFIX}-badcap`;
const BAD_NET = `${PREFIX}-badnet`;
const BAD_IMAGE = `${PREFIX}-badimg`;

let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

const state = (...parts: string[]) => join(dir, 'state', ...parts);

async function start(): Promise<HelperClient> {
  ({ helper, client } = await startConnectedHelper(dir));
  return client;
}

async function stop(): Promise<void> {
  client?.close();
  client = null;
  await helper?.stop();
  helper = null;
}

/** `nova ARGS` against the helper: exit code and output, bounded to 30 s. */
async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  // Two real VMs with disks; then, with the helper stopped, one definition is cut short
  // as a crash of an unsafe writer would leave it, and two other records are damaged.
  const c = await start();
  await c.call('vm.create', { name: GOOD, diskSize: '16Mi' });
  await c.call('vm.create', { name: BAD_VM, diskSize: '16Mi' });
  await stop();
  const def = await readFile(state('vms', `${BAD_VM}.json`), 'utf8');
  await writeFile(state('vms', `${BAD_VM}.json`), def.slice(0, Math.floor(def.length / 2)));
  await mkdir(state('capsules', BAD_CAPSULE, 'layer'), { recursive: true });
  await writeFile(state('capsules', BAD_CAPSULE, 'capsule.json'), '{"version": 2, "spec": {"name": 7}}\n');
  await mkdir(state('networks'), { recursive: true });
  await writeFile(state('networks', `${BAD_NET}.json`), '{"version":1,"config":{"name":"nv4r-badnet","type":"bri');
  await writeFile(state('images', `${BAD_IMAGE}.json`), '{"name":"nv4r-badimg","pa');
  await writeFile(state('images', `${BAD_IMAGE}.qcow2`), 'half an image');
  await start();
}, 120_000);

afterAll(async () => {
  await stop();
  if (dir) await removeTestDir(dir);
});

describe('damaged records', () => {
  it('start the helper, list the damaged ones as broken with file and fault, and hide nothing else', async () => {
    const c = client!;
    const vms = await c.call('vm.list', {});
    expect(vms.vms.map((v) => v.definition.name)).toEqual([GOOD]);
    expect(vms.broken).toEqual([
      { name: BAD_VM, state: 'broken', file: state('vms', `${BAD_VM}.json`), stateReason: expect.stringMatching(/\/vms\/nv4r-badvm\.json cannot be read: not valid JSON/) },
    ]);
    const capsules = await c.call('capsule.list', {});
    expect(capsules.capsules).toEqual([]);
    expect(capsules.broken).toEqual([
      { name: BAD_CAPSULE, state: 'broken', file: state('capsules', BAD_CAPSULE, 'capsule.json'), stateReason: expect.stringMatching(/capsule\.json cannot be read: .* at "spec\./) },
    ]);
    const networks = await c.call('network.list', {});
    expect(networks.networks).toEqual([]);
    expect(networks.broken).toEqual([
      { name: BAD_NET, state: 'broken', file: state('networks', `${BAD_NET}.json`), stateReason: expect.stringMatching(/cannot be read: not valid JSON/) },
    ]);
    expect(await c.call('vm.get', { name: GOOD })).toMatchObject({ state: 'stopped' });
    expect(await c.call('image.list', {})).toEqual([]);
  });

  it('shows them in nova vm ls, capsule ls and net ls with the reason', async () => {
    const vm = await cli('vm', 'ls');
    expect(vm.code).toBe(0);
    expect(vm.stdout).toMatch(/^nv4r-good +stopped/m);
    expect(vm.stdout).toMatch(/^nv4r-badvm +broken +\S+\/vms\/nv4r-badvm\.json cannot be read: not valid JSON/m);
    expect(vm.stdout).toContain('nova vm rm NAME');
    const capsule = await cli('capsule', 'ls');
    expect(capsule.stdout).toMatch(/^nv4r-badcap +broken +\S+capsule\.json cannot be read/m);
    const net = await cli('net', 'ls');
    expect(net.stdout).toMatch(/^nv4r-badnet +- +- +- +broken \(\S+nv4r-badnet\.json cannot be read: not valid JSON/m);
    const json = JSON.parse((await cli('vm', 'ls', '--json')).stdout) as { broken: Array<{ name: string }> };
    expect(json.broken.map((b) => b.name)).toEqual([BAD_VM]);
  });

  it('answers inspect and other verbs with why and how to remove it', async () => {
    const c = client!;
    const broken = { code: 'failed_precondition', message: expect.stringMatching(/^VM nv4r-badvm is broken: .* Remove it with `nova vm rm nv4r-badvm`/), details: { broken: expect.objectContaining({ name: BAD_VM }) } };
    await expect(c.call('vm.get', { name: BAD_VM })).rejects.toMatchObject(broken);
    await expect(c.call('vm.start', { name: BAD_VM })).rejects.toMatchObject(broken);
    await expect(c.call('capsule.get', { name: BAD_CAPSULE })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('nova capsule rm nv4r-badcap') });
    await expect(c.call('network.get', { name: BAD_NET })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('nova net rm nv4r-badnet') });
    const capsule = await cli('capsule', 'inspect', BAD_CAPSULE);
    expect(capsule.code).not.toBe(0);
    expect(capsule.stderr).toMatch(/capsule nv4r-badcap is broken: \S+capsule\.json cannot be read: .*nova capsule rm nv4r-badcap/);
    const net = await cli('net', 'inspect', BAD_NET);
    expect(net.code).not.toBe(0);
    expect(net.stderr).toMatch(/network nv4r-badnet is broken: \S+nv4r-badnet\.json cannot be read: not valid JSON/);
  });

  it('keeps the names: create says the name is broken and how to remove it', async () => {
    const c = client!;
    await expect(c.call('vm.create', { name: BAD_VM, diskSize: '16Mi' })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('is broken') });
    await expect(c.call('vm.clone', { source: GOOD, target: BAD_VM })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('is broken') });
    await expect(c.call('capsule.create', { name: BAD_CAPSULE, image: 'nv4r-none' })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('is broken') });
    await expect(c.call('network.create', { name: BAD_NET })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('is broken') });
    await writeFile(join(dir, 'some.iso'), 'an ISO');
    await expect(c.call('image.import', { path: join(dir, 'some.iso'), name: BAD_IMAGE })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining(`Remove it with \`nova image rm ${BAD_IMAGE}\``),
    });
    expect(existsSync(state('vms', BAD_VM))).toBe(true);
  });

  it('removes them with rm, with what Nova made for them, and frees the names', async () => {
    const c = client!;
    const vmRm = await cli('vm', 'rm', BAD_VM);
    expect(vmRm).toMatchObject({ code: 0 });
    expect(existsSync(state('vms', `${BAD_VM}.json`))).toBe(false);
    expect(existsSync(state('vms', BAD_VM))).toBe(false);
    expect((await cli('capsule', 'rm', BAD_CAPSULE)).code).toBe(0);
    expect(existsSync(state('capsules', BAD_CAPSULE))).toBe(false);
    expect((await cli('net', 'rm', BAD_NET)).code).toBe(0);
    expect(existsSync(state('networks', `${BAD_NET}.json`))).toBe(false);
    expect((await cli('image', 'rm', BAD_IMAGE)).code).toBe(0);
    expect(existsSync(state('images', `${BAD_IMAGE}.json`))).toBe(false);
    expect(existsSync(state('images', `${BAD_IMAGE}.qcow2`))).toBe(false);

    expect(await c.call('vm.list', {})).toMatchObject({ vms: [{ definition: { name: GOOD } }], broken: [] });
    expect(await c.call('capsule.list', {})).toEqual({ capsules: [], broken: [] });
    expect((await c.call('network.list', {})).broken).toEqual([]);
    await c.call('vm.create', { name: BAD_VM, diskSize: '16Mi' });
    expect(await c.call('vm.get', { name: BAD_VM })).toMatchObject({ state: 'stopped' });
  });
});
