// GPUs in capsules with the real runc: a device node the test makes (mknod of a character
// device with /dev/null's numbers, in a temp dir standing in for the host's /dev) given as
// `gpus = ["renderD128"]` is inside the capsule as /dev/dri/renderD128, a character device
// with the host node's numbers that the capsule can open, and nothing else of the host's
// /dev/dri is; the capsule's inspect lists it. A node that does not exist, or is no
// character device, is refused at create, before anything is made. An NVIDIA GPU by its
// CDI name (nvidia.com/gpu=0, from a spec the test writes as the NVIDIA container
// toolkit would, with nodes the test makes): its nodes, the driver library mounted
// read-only, the spec's env and its hook, which runc runs; GPU 1 stays out.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { capsuleTestEnv, removeCapsuleTestState, RUN_TAG, type CapsuleTestEnv } from './fixtures/capsule-harness.js';
import { capsuleSpec } from './fixtures/contract-params.js';
import { errorOf } from './fixtures/error-of.js';
import { waitFor } from './fixtures/wait-for.js';

const TAG = `nv10u-${RUN_TAG.slice(-6)}`;
const CGROUP_PARENT = `/${TAG}`;
const IMAGE = 'nv10u-busybox';

let env: CapsuleTestEnv;
let m: CapsuleManager;
let devRoot: string;
let cdiDir: string;

beforeAll(async () => {
  env = await capsuleTestEnv('nv10u');
  devRoot = join(env.dir, 'dev');
  await mkdir(join(devRoot, 'dri'), { recursive: true });
  // The host's GPU nodes, as far as the capsule engine can tell: two render nodes and a card.
  execFileSync('mknod', ['-m', '666', join(devRoot, 'dri/renderD128'), 'c', '1', '3']);
  execFileSync('mknod', ['-m', '666', join(devRoot, 'dri/renderD129'), 'c', '1', '3']);
  execFileSync('mknod', ['-m', '660', join(devRoot, 'dri/card0'), 'c', '1', '3']);
  await writeFile(join(devRoot, 'dri/card9'), 'not a device\n');
  await env.images.import(env.rootfsTar, IMAGE);
  // The NVIDIA driver's nodes as the toolkit's spec lists them, and one of its libraries.
  for (const node of ['nvidia0', 'nvidia1', 'nvidiactl']) execFileSync('mknod', ['-m', '666', join(devRoot, node), 'c', '1', '3']);
  await mkdir(join(env.dir, 'driver'), { recursive: true });
  await writeFile(join(env.dir, 'driver/libcuda.so.1'), 'the driver library\n');
  cdiDir = join(env.dir, 'cdi');
  await mkdir(cdiDir, { recursive: true, mode: 0o755 });
  await writeFile(
    join(cdiDir, 'nvidia.yaml'),
    [
      'cdiVersion: 0.5.0',
      'kind: nvidia.com/gpu',
      'devices:',
      '- name: "0"',
      '  containerEdits:',
      `    deviceNodes: [{ path: /dev/nvidia0, hostPath: ${join(devRoot, 'nvidia0')} }]`,
      '- name: "1"',
      '  containerEdits:',
      `    deviceNodes: [{ path: /dev/nvidia1, hostPath: ${join(devRoot, 'nvidia1')} }]`,
      'containerEdits:',
      '  env: [NVIDIA_VISIBLE_DEVICES=void]',
      `  deviceNodes: [{ path: /dev/nvidiactl, hostPath: ${join(devRoot, 'nvidiactl')} }]`,
      `  mounts: [{ hostPath: ${join(env.dir, 'driver/libcuda.so.1')}, containerPath: /usr/lib/libcuda.so.1, options: [ro, nosuid, nodev, bind] }]`,
      `  hooks: [{ hookName: createContainer, path: /bin/sh, args: [sh, -c, 'echo ran > ${join(env.dir, 'hook-ran')}'] }]`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  m = await env.newManager({ devRoot, cdiDirs: [cdiDir], containerIdPrefix: `${TAG}-`, cgroupParent: CGROUP_PARENT });
}, 60_000);

afterAll(async () => {
  if (!env) return;
  await env.cleanup();
  await removeCapsuleTestState(env.dir, env.stateDir, [CGROUP_PARENT]);
});

async function sh(name: string, script: string) {
  return m.exec(name, ['sh', '-c', script], { timeoutMs: 15_000 });
}

describe('a capsule given a GPU node (runc)', () => {
  it('sees renderD128 inside, as the host node, usable, and none of the host\'s other nodes', async () => {
    const name = 'nv10u-gpu';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'], gpus: ['renderD128'], userNamespace: false }));
    await m.start(name);
    await waitFor(async () => ((await m.get(name)).state === 'running' ? true : null), 15_000, `${name} to run`);

    expect((await sh(name, 'ls /dev/dri')).stdout.trim()).toBe('renderD128');
    expect((await sh(name, 'stat -c "%F %t:%T" /dev/dri/renderD128')).stdout.trim()).toBe('character special file 1:3');
    // The device cgroup lets the capsule open it (the node behaves as the /dev/null it is).
    const write = await sh(name, 'echo frame > /dev/dri/renderD128 && echo opened');
    expect({ code: write.exitCode, out: write.stdout.trim() }).toEqual({ code: 0, out: 'opened' });

    const config = JSON.parse(await readFile(join(env.stateDir, 'capsules', name, 'bundle', 'config.json'), 'utf8')) as {
      linux: { devices?: Array<{ path: string; type: string; major: number; minor: number }>; resources: { devices: Array<{ allow: boolean; type?: string; major?: number; minor?: number; access: string }> } };
    };
    expect(config.linux.devices?.map((d) => [d.path, d.type, d.major, d.minor])).toEqual([['/dev/dri/renderD128', 'c', 1, 3]]);
    expect(config.linux.resources.devices).toEqual([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);

    const c = await m.get(name);
    expect(c.gpuDevices).toEqual([{ path: '/dev/dri/renderD128', major: 1, minor: 3 }]);
    await m.stop(name, 1);
  }, 60_000);

  it('gives "all" of /dev/dri\'s render and card nodes, and only character devices', async () => {
    const name = 'nv10u-gpuall';
    const info = await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'], gpus: 'all', userNamespace: false }));
    expect(info.spec.gpus).toBe('all');
    await m.start(name);
    await waitFor(async () => ((await m.get(name)).state === 'running' ? true : null), 15_000, `${name} to run`);
    expect((await sh(name, 'ls /dev/dri')).stdout.trim().split(/\s+/)).toEqual(['card0', 'renderD128', 'renderD129']);
    expect((await m.get(name)).gpuDevices?.map((d) => d.path)).toEqual(['/dev/dri/card0', '/dev/dri/renderD128', '/dev/dri/renderD129']);
    await m.stop(name, 1);
  }, 60_000);

  it('gives nvidia.com/gpu=0 by its CDI spec: its nodes, the driver library read-only, the env and the hook; not GPU 1', async () => {
    const name = 'nv10u-cuda';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'], gpus: ['nvidia.com/gpu=0'], userNamespace: false }));
    await m.start(name);
    await waitFor(async () => ((await m.get(name)).state === 'running' ? true : null), 15_000, `${name} to run`);
    expect((await sh(name, 'ls /dev | grep nvidia')).stdout.trim().split(/\s+/)).toEqual(['nvidia0', 'nvidiactl']);
    expect((await sh(name, 'cat /usr/lib/libcuda.so.1')).stdout).toBe('the driver library\n');
    const write = await sh(name, 'echo x > /usr/lib/libcuda.so.1');
    expect(write.exitCode).not.toBe(0);
    expect((await sh(name, 'echo $NVIDIA_VISIBLE_DEVICES')).stdout.trim()).toBe('void');
    expect((await sh(name, 'echo frame > /dev/nvidia0 && echo opened')).stdout.trim()).toBe('opened');
    expect(await readFile(join(env.dir, 'hook-ran'), 'utf8')).toBe('ran\n');
    expect((await m.get(name)).gpuDevices?.map((d) => d.path)).toEqual(['/dev/nvidiactl', '/dev/nvidia0']);
    await m.stop(name, 1);
  }, 60_000);

  it('refuses a CDI device no spec has, naming those the host has, before making anything', async () => {
    const missing = await errorOf(m.create(capsuleSpec({ name: 'nv10u-cudamiss', image: IMAGE, command: ['true'], gpus: ['nvidia.com/gpu=3'] })));
    expect(missing).toMatchObject({ code: 'not_found', message: 'No CDI device nvidia.com/gpu=3; this host has nvidia.com/gpu=0, nvidia.com/gpu=1' });
    expect((await m.list()).map((c) => c.name)).not.toContain('nv10u-cudamiss');
  }, 60_000);

  it('refuses a node the host does not have, or one that is no character device, before making anything', async () => {
    const missing = await errorOf(m.create(capsuleSpec({ name: 'nv10u-gpumiss', image: IMAGE, command: ['true'], gpus: ['renderD130'] })));
    expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('no /dev/dri/renderD130') });
    const fake = await errorOf(m.create(capsuleSpec({ name: 'nv10u-gpufake', image: IMAGE, command: ['true'], gpus: ['card9'] })));
    expect(fake).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('/dev/dri/card9 is not a character device') });
    const names = (await m.list()).map((c) => c.name);
    expect(names).not.toContain('nv10u-gpumiss');
    expect(names).not.toContain('nv10u-gpufake');
  }, 60_000);
});
