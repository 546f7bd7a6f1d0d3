// conmon as the capsule monitor under the capsule manager, with the real runc: OOM kills
// seen even at the very start, a SIGKILL stop under a memory limit not taken for one, the
// overlay rootfs mounted from create to delete with nothing of a container left in runc
// once its exit is recorded, stop-then-start at once, a start that fails in the runtime,
// a monitor killed by hand, and the log rotated under a writing capsule through conmon.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { capsuleTestEnv, type CapsuleTestEnv } from './fixtures/capsule-harness.js';
import { capsuleSpec } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

let env: CapsuleTestEnv;
let m: CapsuleManager;

beforeAll(async () => {
  env = await capsuleTestEnv('nv8c-mon');
  await env.images.import(env.rootfsTar, 'nv8c-busybox');
  m = await env.newManager({ maxLogBytes: 64 * 1024, maxLogFiles: 3 });
});

afterAll(async () => {
  await env?.cleanup();
});

const capsuleDir = (name: string) => join(env.stateDir, 'capsules', name);
const rootfs = (name: string) => join(capsuleDir(name), 'bundle', 'rootfs');
const mounted = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
const runcIds = () => (JSON.parse(execFileSync('runc', ['--root', join(env.stateDir, 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') as { id: string }[] | null ?? []).map((c) => c.id);

/** conmon processes watching this test's capsules. */
function monitors(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
        return cmd.startsWith('conmon\0') && cmd.includes(env.stateDir) && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function exited(name: string) {
  return waitFor(async () => {
    const c = await m.get(name);
    return c.state === 'stopped' && c.lastExit ? c : null;
  }, 30_000, `${name} to exit`);
}

describe('conmon as the capsule monitor (runc)', () => {
  it('reports an allocation past the limit as OOM-killed even at the very start, three times', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `nv8c-oom${i}`;
      await m.create(capsuleSpec({ name, image: 'nv8c-busybox', memoryBytes: 16 * 1024 * 1024, command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'] }));
      await m.start(name);
      expect((await exited(name)).lastExit).toMatchObject({ reason: 'oom-killed', exitCode: 137 });
    }
  });

  it('does not take a SIGKILL stop under a memory limit for an OOM kill', async () => {
    await m.create(capsuleSpec({ name: 'nv8c-stop', image: 'nv8c-busybox', memoryBytes: 16 * 1024 * 1024, command: ['sleep', '30'] }));
    for (let i = 0; i < 3; i++) {
      await m.start('nv8c-stop');
      expect((await m.stop('nv8c-stop', 0)).lastExit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL', exitCode: 137 });
    }
  });

  it('keeps the rootfs mounted from create to delete, and once an exit is recorded leaves no container and no monitor', async () => {
    await m.create(capsuleSpec({ name: 'nv8c-quick', image: 'nv8c-busybox', command: ['sh', '-c', 'cat /etc/motd; exit 3'] }));
    expect(mounted(rootfs('nv8c-quick'))).toBe(true);
    const id = `${env.idPrefix}nv8c-quick`;
    for (let i = 0; i < 3; i++) {
      await m.start('nv8c-quick');
      expect(await m.waitForExit('nv8c-quick', 10_000)).toBe(true);
      expect((await m.get('nv8c-quick')).lastExit).toMatchObject({ reason: 'exited', exitCode: 3 });
      await waitFor(async () => !runcIds().includes(id), 5_000, 'the container deleted');
      expect(mounted(rootfs('nv8c-quick'))).toBe(true);
    }
    expect((await m.logs('nv8c-quick', {})).lines.map((l) => l.text)).toEqual(['from the image', 'from the image', 'from the image']);
    await waitFor(async () => monitors().length === 0, 5_000, 'no monitor left');
    await m.delete('nv8c-quick');
    expect(mounted(rootfs('nv8c-quick'))).toBe(false);
  });

  it('restarts right after a stop, ten times, each run on its rootfs', async () => {
    await m.create(capsuleSpec({ name: 'nv8c-again', image: 'nv8c-busybox', command: ['sh', '-c', 'cat /etc/motd; sleep 30'], stopTimeoutSec: 0 }));
    await m.start('nv8c-again');
    for (let i = 0; i < 10; i++) {
      const c = await m.restart('nv8c-again');
      expect(c.state).toBe('running');
      expect(mounted(rootfs('nv8c-again'))).toBe(true);
    }
    await waitFor(async () => (await m.logs('nv8c-again', {})).lines.filter((l) => l.text === 'from the image').length === 11, 10_000, 'eleven runs that read the image');
    await m.stop('nv8c-again', 0);
    await m.delete('nv8c-again');
    expect(mounted(rootfs('nv8c-again'))).toBe(false);
  });

  it('says why a container could not start, in the runtime\'s words, and leaves no container and no monitor', async () => {
    await m.create(capsuleSpec({ name: 'nv8c-bad', image: 'nv8c-busybox', command: ['/no/such/program'] }));
    await expect(m.start('nv8c-bad')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/^Capsule "nv8c-bad" could not start: .*\/no\/such\/program.*no such file or directory/) });
    const c = await m.get('nv8c-bad');
    expect(c).toMatchObject({ state: 'stopped', pid: null, lastExit: { reason: 'start-failed' } });
    expect(runcIds()).not.toContain(`${env.idPrefix}nv8c-bad`);
    expect(monitors()).toEqual([]);
  });

  it('records a run whose monitor was killed by hand as lost, and stops its container', async () => {
    await m.create(capsuleSpec({ name: 'nv8c-lost', image: 'nv8c-busybox', command: ['sleep', '600'] }));
    const started = await m.start('nv8c-lost');
    const monitor = monitors().find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${env.idPrefix}nv8c-lost`));
    expect(monitor).toBeDefined();
    process.kill(monitor!, 'SIGKILL');
    const c = await exited('nv8c-lost');
    expect(c.lastExit).toMatchObject({ reason: 'lost', message: expect.stringMatching(/conmon.*killed/) });
    await waitFor(async () => !runcIds().includes(`${env.idPrefix}nv8c-lost`), 5_000, 'the container gone');
    // Dead, or a zombie this host's init has yet to reap.
    await waitFor(async () => !existsSync(`/proc/${started.pid}`) || /^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${started.pid}/stat`, 'utf8')), 5_000, 'its process dead');
  });

  it('runs conmon in the capsules\' monitor cgroup, not in the helper\'s, and the container in its own', async () => {
    await m.create(capsuleSpec({ name: 'nv8f-placed', image: 'nv8c-busybox', command: ['sleep', '600'], stopTimeoutSec: 0 }));
    const started = await m.start('nv8f-placed');
    const monitor = monitors().find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${env.idPrefix}nv8f-placed`));
    expect(monitor).toBeDefined();
    // `ID:CONTROLLERS:PATH` lines; v1 hierarchies by controller, the v2 tree as `0::`.
    const cgroupOf = (pid: number, controller: string) =>
      readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller) || (controller === '' && l.startsWith('0::')))?.split(':')[2];
    const controller = readFileSync('/proc/self/cgroup', 'utf8').includes(':memory:') ? 'memory' : '';
    await waitFor(async () => cgroupOf(monitor!, controller) === `${env.cgroupParent}/conmon`, 5_000, 'conmon in the monitor cgroup');
    expect(cgroupOf(process.pid, controller)).not.toBe(`${env.cgroupParent}/conmon`);
    expect(cgroupOf(started.pid!, controller)).toBe(`${env.cgroupParent}/${env.idPrefix}nv8f-placed`);
    await m.delete('nv8f-placed', true);
  });

  it('rotates the log of a capsule that keeps writing: conmon reopens it, and a follower misses no line', async () => {
    // Five bursts of 700 lines (about 100 KiB each as stored) a little over a second apart:
    // the log is rotated after each (64 KiB files), the oldest of three dropped.
    const script = 'i=0; for b in 1 2 3 4 5; do j=0; while [ $j -lt 700 ]; do i=$((i+1)); j=$((j+1)); printf "%05d %093d\\n" $i 0; done; sleep 1.5; done; sleep 600';
    await m.create(capsuleSpec({ name: 'nv8c-chatty', image: 'nv8c-busybox', command: ['sh', '-c', script], stopTimeoutSec: 0 }));
    await m.start('nv8c-chatty');
    const seen: number[] = [];
    let cursor = -1;
    await waitFor(async () => {
      const page = await m.logs('nv8c-chatty', { afterSeq: cursor });
      for (const l of page.lines) seen.push(Number(l.text.slice(0, 5)));
      cursor = page.cursor;
      return seen.length >= 3500;
    }, 30_000, 'all 3500 lines followed across rotations');
    expect(seen).toEqual(Array.from({ length: 3500 }, (_, i) => i + 1));
    // A second rotated file only appears when conmon wrote on into the file it reopened.
    const files = readdirSync(join(capsuleDir('nv8c-chatty'), 'logs')).sort();
    expect(files).toEqual(['capsule.log', 'capsule.log.1', 'capsule.log.2', 'capsule.log.offsets.json']);
    await m.stop('nv8c-chatty', 0);
  });
});
