// A full clone is an operation: against the real helper and real qemu-img it reports
// progress per disk with bytes, requests on either VM while it copies are refused as
// `locked` naming it, and a cancel (operation.cancel, or Ctrl+C in `nova vm clone`)
// stops qemu-img and leaves no VM, no folder and no disk of the clone. The copy is made
// slow enough to act on by freezing qemu-img (SIGSTOP) and letting it go (SIGCONT).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { Operation } from '../../src-shared/operation.js';
import { commandOf, freezeWhenRunning, processesMatching, qemuImgConvertOf, writeSparseDisk, type FrozenChild } from './fixtures/frozen-child.js';
import { interruptCli, startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import type { RunningHelper } from './helper-harness.js';

const SOURCE = 'nv8v-src';
const TEMPLATE = 'nv8v-tmpl';
const GIB = 1024 ** 3;

let run: OperationHelperRun;
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let seen: Operation[] = [];

const vmsDir = () => join(helper.stateDir, 'vms');
const qemuImgs = () => processesMatching(commandOf('qemu-img', dir));
/** The copy of the source's big disk, which the tests freeze mid-way. */
const copyOfBigDisk = () => qemuImgConvertOf(join(dir, 'big.raw'));

/** Lets a stopped child run 20 ms at a time until `done` (bounded) or it ends, and leaves it running. */
async function pace(child: FrozenChild, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    while (!done() && Date.now() < deadline && (await processesMatching((_argv, pid) => pid === child.pid)).length > 0) {
      child.resume();
      await pause(20);
      process.kill(child.pid, 'SIGSTOP');
      await pause(100);
    }
  } catch {
    // It ended between the check and the signal.
  } finally {
    child.resume();
  }
}

/** What a clone leaves in the state dir under its name: must be nothing after a cancel. */
async function leftOf(target: string): Promise<string[]> {
  return (await readdir(vmsDir())).filter((f) => f === target || f.startsWith(`${target}.`));
}

beforeAll(async () => {
  run = await startOperationHelper('nv8v-clone');
  ({ dir, helper, client, seen } = run);
  // Two disks: a small overlay on a template's disk, then 64 GiB (768 MiB of data) that
  // takes qemu-img seconds to copy.
  await writeSparseDisk(join(dir, 'big.raw'), 64, 768);
  await client.call('vm.create', { name: TEMPLATE, memory: '128Mi', diskSize: '64Mi', display: 'none' });
  await client.call('vm.setTemplate', { name: TEMPLATE, template: true });
  await client.call('vm.create', { name: SOURCE, memory: '128Mi', fromTemplate: TEMPLATE, image: join(dir, 'big.raw'), linkedImage: false, display: 'none' });
}, 120_000);

afterAll(async () => {
  await run?.stop();
});

describe('a full clone as an operation', () => {
  it('copies disk by disk, reporting progress and bytes', async () => {
    let opId = '';
    const cloning = client.call('vm.clone', { source: SOURCE, target: 'nv8v-full' }, { onOperation: (id) => (opId = id) });
    // From the page cache qemu-img copies the big disk in a few hundred ms, about one of the
    // helper's report intervals: paced (let run and stopped in turns), it is still copying
    // when a report falls due.
    const copy = await freezeWhenRunning(copyOfBigDisk(), 60_000, 'the copy of the big disk');
    const midway = () => seen.some((o) => o.id === opId && o.progress.phase === 'copying disk1 (2 of 2)' && (o.progress.fraction ?? 0) > 0 && (o.progress.fraction ?? 1) < 1);
    await pace(copy, midway, 30_000);
    const info = await cloning;
    expect(info.definition.disks.map((d) => [d.id, d.owned, d.format])).toEqual([
      ['disk0', true, 'qcow2'],
      ['disk1', true, 'qcow2'],
    ]);
    const mine = seen.filter((o) => o.id === opId);
    expect([...new Set(mine.map((o) => o.progress.phase))]).toEqual(['starting', 'copying disk0 (1 of 2)', 'copying disk1 (2 of 2)', 'saving the definition', 'done']);
    const big = mine.filter((o) => o.progress.phase === 'copying disk1 (2 of 2)');
    expect(big[0]!.progress).toMatchObject({ fraction: 0, bytesDone: 0, bytesTotal: 64 * GIB });
    // Progress within a step is sent at most every 250 ms: rising, some of it mid-way, bytes following it.
    const fractions = big.map((o) => o.progress.fraction!);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.some((f) => f > 0 && f < 1)).toBe(true);
    for (const o of big) expect(o.progress.bytesDone).toBe(Math.round(o.progress.fraction! * 64 * GIB));
    expect(mine.at(-1)).toMatchObject({ state: 'succeeded', kind: 'vm.clone', resource: { kind: 'vm', name: SOURCE }, title: 'clone to nv8v-full' });
    await client.call('vm.delete', { name: 'nv8v-full' });
  });

  it('refuses requests on the source and the target as locked, naming the clone, and a cancel leaves nothing of it', async () => {
    const target = 'nv8v-copy';
    let opId = '';
    const cloning = client.call('vm.clone', { source: SOURCE, target }, { onOperation: (id) => (opId = id) });
    cloning.catch(() => undefined);
    const qemuImg = await freezeWhenRunning(copyOfBigDisk(), 30_000, 'the copy of the second disk');
    try {
      const copying = await waitFor(() => seen.find((o) => o.id === opId && o.progress.phase === 'copying disk1 (2 of 2)'), 10_000, 'the copy of the second disk');
      expect(copying).toMatchObject({ state: 'running', cancellable: true, owner: { uid: 0 } });
      expect(await leftOf(target)).toEqual([target]); // the first disk is copied into it already

      const busy = /^VM (nv8v-src|nv8v-copy) is busy: clone to nv8v-copy \(started \d+ s ago by uid 0\)$/;
      await expect(client.call('vm.start', { name: SOURCE })).rejects.toMatchObject({ code: 'locked', message: expect.stringMatching(busy), details: { operationId: opId } });
      await expect(client.call('vm.delete', { name: SOURCE, force: true })).rejects.toMatchObject({ code: 'locked' });
      await expect(client.call('vm.create', { name: target, memory: '128Mi', display: 'none' })).rejects.toMatchObject({ code: 'locked', message: expect.stringMatching(busy) });
      // Reading never waits on the lock.
      const t0 = Date.now();
      expect((await client.call('vm.list', {})).vms.map((v) => v.definition.name)).toEqual([SOURCE, TEMPLATE]);
      expect(Date.now() - t0).toBeLessThan(1_000);

      expect(await client.call('operation.cancel', { id: opId })).toMatchObject({ cancelRequested: true });
    } finally {
      qemuImg.resume();
    }
    await expect(cloning).rejects.toMatchObject({ code: 'cancelled', message: `clone of VM ${SOURCE} to ${target} was cancelled; nothing of ${target} was kept` });
    expect(await client.call('operation.get', { id: opId })).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    await expect(client.call('vm.get', { name: target })).rejects.toMatchObject({ code: 'not_found' });
    expect(await leftOf(target)).toEqual([]);
    expect(await qemuImgs()).toEqual([]);
    // The source is free again.
    expect((await client.call('vm.setTemplate', { name: SOURCE, template: false })).state).toBe('stopped');
  });

  it('nova vm clone: Ctrl+C cancels the clone in the helper, which removes it', async () => {
    const target = 'nv8v-cli';
    const { code, stderr } = await interruptCli(run, ['vm', 'clone', SOURCE, target], {
      freeze: copyOfBigDisk(),
      progress: 'clone to nv8v-cli: copying disk1 (2 of 2)',
      cancelled: (o) => o.resource.name === SOURCE && o.title === `clone to ${target}`,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toContain(`clone of VM ${SOURCE} to ${target} was cancelled; nothing of ${target} was kept; cancelled at your request [cancelled]`);
    expect(seen.filter((o) => o.title === `clone to ${target}`).at(-1)).toMatchObject({ state: 'cancelled' });
    expect(await leftOf(target)).toEqual([]);
    expect(await qemuImgs()).toEqual([]);
  });
});
