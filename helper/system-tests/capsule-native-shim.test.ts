// The native shim under the capsule manager with the real runc: OOM kills seen without a
// head start, a SIGKILL stop under a memory limit not taken for one, the overlay rootfs the
// shim mounts unmounted once the exit is recorded, and stop-then-start at once (the unmount
// that follows a stop's record must be over before the next run mounts its rootfs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { capsuleTestEnv, waitFor, type CapsuleTestEnv } from './fixtures/capsule-harness.js';

let env: CapsuleTestEnv;
let m: CapsuleManager;

beforeAll(async () => {
  env = await capsuleTestEnv('nv5c-shim');
  await env.images.import(env.rootfsTar, 'nv5c-busybox');
  m = await env.newManager();
});

afterAll(async () => {
  await env?.cleanup();
});

const rootfs = (name: string) => join(env.stateDir, 'capsules', name, 'bundle', 'rootfs');
const mounted = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);

async function exited(name: string) {
  return waitFor(`${name} to exit`, async () => {
    const c = await m.get(name);
    return c.state === 'stopped' && c.lastExit ? c : null;
  }, 30_000);
}

describe('native capsule shim (runc)', () => {
  it('reports an allocation past the limit as OOM-killed even at the very start, three times', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `nv5c-oom${i}`;
      await m.create({ name, image: 'nv5c-busybox', memoryBytes: 16 * 1024 * 1024, command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'] });
      await m.start(name);
      expect((await exited(name)).lastExit).toMatchObject({ reason: 'oom-killed', exitCode: 137 });
    }
  });

  it('does not take a SIGKILL stop under a memory limit for an OOM kill', async () => {
    await m.create({ name: 'nv5c-stop', image: 'nv5c-busybox', memoryBytes: 16 * 1024 * 1024, command: ['sleep', '30'] });
    for (let i = 0; i < 3; i++) {
      await m.start('nv5c-stop');
      expect((await m.stop('nv5c-stop', 0)).lastExit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    }
  });

  it('mounts the rootfs for the run and has it unmounted once the exit is recorded', async () => {
    await m.create({ name: 'nv5c-quick', image: 'nv5c-busybox', command: ['sh', '-c', 'cat /etc/motd'] });
    for (let i = 0; i < 3; i++) {
      await m.start('nv5c-quick');
      expect(await m.waitForExit('nv5c-quick', 10_000)).toBe(true);
      expect((await m.get('nv5c-quick')).lastExit).toMatchObject({ reason: 'exited', exitCode: 0 });
      await waitFor('the rootfs unmounted', async () => !mounted(rootfs('nv5c-quick')), 5_000);
    }
    expect((await m.logs('nv5c-quick', {})).lines.map((l) => l.text)).toEqual(['from the image', 'from the image', 'from the image']);
  });

  it('restarts right after a stop, ten times, each run on its rootfs', async () => {
    await m.create({ name: 'nv5c-again', image: 'nv5c-busybox', command: ['sh', '-c', 'cat /etc/motd; sleep 30'], stopTimeoutSec: 0 });
    await m.start('nv5c-again');
    for (let i = 0; i < 10; i++) {
      const c = await m.restart('nv5c-again');
      expect(c.state).toBe('running');
      expect(mounted(rootfs('nv5c-again'))).toBe(true);
    }
    await waitFor('eleven runs that read the image', async () => (await m.logs('nv5c-again', {})).lines.filter((l) => l.text === 'from the image').length === 11);
    await m.stop('nv5c-again', 0);
    expect(mounted(rootfs('nv5c-again'))).toBe(false);
  });
});
