// The check after an unclean stop, with qemu-img's recorded answers (captured from this
// machine's qemu-img 7.2 on a clean, a leaking and a corrupt qcow2): a clean stop checks
// nothing; after an unclean one leaks are repaired and the note goes; a corrupt disk
// refuses the start with what to do and keeps the note, so the next start checks again.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { RunResult, RunSpec } from '../process/process-runner.js';
import { silentLogger } from '../util/logger.js';
import { DiskConsistency } from './disk-consistency.js';

const CLEAN = { exitCode: 0, stdout: '{"image-end-offset": 1376256, "total-clusters": 1024, "check-errors": 0, "allocated-clusters": 16, "format": "qcow2"}', stderr: '' };
const LEAKS = { exitCode: 3, stdout: '{"image-end-offset": 1441792, "total-clusters": 1024, "check-errors": 0, "leaks": 1, "allocated-clusters": 16, "format": "qcow2"}', stderr: 'Leaked cluster 21 refcount=1 reference=0\n' };
const REPAIRED = { exitCode: 0, stdout: '{"image-end-offset": 1376256, "total-clusters": 1024, "check-errors": 0, "leaks-fixed": 1, "allocated-clusters": 16, "format": "qcow2"}', stderr: 'Repairing cluster 21 refcount=1 reference=0\n' };
const CORRUPT = {
  exitCode: 2,
  stdout: '{"image-end-offset": 1441792, "total-clusters": 1024, "corruptions": 2, "check-errors": 0, "leaks": 1, "allocated-clusters": 16, "format": "qcow2"}',
  stderr: 'Leaked cluster 5 refcount=1 reference=0\nERROR cluster 21 refcount=0 reference=1\n',
};
const UNREADABLE = { exitCode: 1, stdout: '', stderr: 'ERROR l2_offset=10200: Table is not cluster aligned; L1 entry corrupted\nqemu-img: Check failed: Input/output error\n' };

type Answer = Pick<RunResult, 'exitCode' | 'stdout' | 'stderr'>;

function fakeQemuImg(answers: Answer[]) {
  const calls: string[][] = [];
  const runner = {
    async run(spec: RunSpec): Promise<RunResult> {
      calls.push([...spec.argv]);
      const a = answers.shift();
      if (!a) throw new Error(`unexpected call: ${spec.argv.join(' ')}`);
      return { ...a, signal: null, stopped: false, durationMs: 1 };
    },
  };
  return { runner, calls };
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv4g-dc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function vm(disks: VmDefinition['disks'], createdAt = '2020-01-01T00:00:00.000Z'): VmDefinition {
  return { name: 'web', disks, createdAt } as VmDefinition;
}
const DISK = { id: 'disk0', path: '/var/lib/nova/vms/web/disk0.qcow2', format: 'qcow2', owned: true, readOnly: false } as const;
const steps = () => ({ signal: new AbortController().signal, phases: [] as string[], phase(p: string) { this.phases.push(p); } });

describe('DiskConsistency.beforeStart', () => {
  it('checks nothing after a clean stop', async () => {
    const { runner, calls } = fakeQemuImg([]);
    expect(await new DiskConsistency(dir, runner, silentLogger()).beforeStart(vm([DISK]), steps())).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('after an unclean stop, checks read-only first, then gives leaked clusters back, and forgets the stop', async () => {
    const { runner, calls } = fakeQemuImg([LEAKS, REPAIRED]);
    const disks = new DiskConsistency(dir, runner, silentLogger());
    await disks.recordUncleanStop('web', 'QEMU was killed by SIGKILL');
    const s = steps();
    expect(await disks.beforeStart(vm([DISK, { ...DISK, id: 'disk1', format: 'raw' }, { ...DISK, id: 'disk2', owned: false }]), s)).toEqual([
      { disk: 'disk0', path: DISK.path, outcome: 'leaks-repaired', leaksFixed: 1 },
    ]);
    expect(calls.map((argv) => argv.includes('-r'))).toEqual([false, true]);
    expect(s.phases).toEqual(['checking disk disk0 after an unclean stop']);
    expect(await disks.uncleanStop('web')).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('a clean check needs no repair', async () => {
    const { runner, calls } = fakeQemuImg([CLEAN]);
    const disks = new DiskConsistency(dir, runner, silentLogger());
    await disks.recordUncleanStop('web', 'the host restarted');
    expect(await disks.beforeStart(vm([DISK]), steps())).toEqual([{ disk: 'disk0', path: DISK.path, outcome: 'clean', leaksFixed: 0 }]);
    expect(calls).toHaveLength(1);
  });

  for (const [what, answer, said] of [
    ['corrupt', CORRUPT, /2 corrupt cluster\(s\): .*ERROR cluster 21 refcount=0 reference=1/],
    ['unreadable', UNREADABLE, /L1 entry corrupted/],
  ] as const) {
    it(`refuses a ${what} disk with what to do, repairs nothing, and checks again next time`, async () => {
      const { runner, calls } = fakeQemuImg([answer, answer]);
      const disks = new DiskConsistency(dir, runner, silentLogger());
      await disks.recordUncleanStop('web', 'QEMU was killed by SIGKILL');
      for (let i = 0; i < 2; i++) {
        const refused = disks.beforeStart(vm([DISK]), steps());
        await expect(refused).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(said) });
        await expect(refused).rejects.toThrow(`qemu-img check -r all ${DISK.path}`);
      }
      expect(calls.every((argv) => !argv.includes('-r'))).toBe(true);
      expect(await disks.uncleanStop('web')).not.toBeNull();
    });
  }

  it('ignores a note older than the VM (left by an earlier VM of that name)', async () => {
    const { runner, calls } = fakeQemuImg([]);
    const disks = new DiskConsistency(dir, runner, silentLogger());
    await disks.recordUncleanStop('web', 'QEMU was killed by SIGKILL');
    expect(await disks.beforeStart(vm([DISK], new Date(Date.now() + 60_000).toISOString()), steps())).toEqual([]);
    expect(calls).toEqual([]);
    expect(await disks.uncleanStop('web')).toBeNull();
  });
});
