import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { Operation } from '../../../src-shared/operation.js';
import { RecordStore } from '../state/record-store.js';
import { silentLogger } from '../util/logger.js';
import { OPERATION_RECORD, OperationManager, type OperationHandle } from './operation-manager.js';

const ALICE = { caller: { uid: 1000, pid: 4242 } };
const spec = { kind: 'vm.clone', resource: { kind: 'vm', name: 'web2' }, title: 'clone of web1' } as const;

function manager(extra: Partial<ConstructorParameters<typeof OperationManager>[0]> = {}) {
  const events: Operation[] = [];
  const ops = new OperationManager({ logger: silentLogger(), emit: (op) => events.push(op), progressIntervalMs: 0, ...extra });
  return { ops, events };
}

/** Work that runs until its signal aborts, like a child process being killed. */
function untilCancelled(op: OperationHandle): Promise<never> {
  return new Promise((_, reject) => op.signal.addEventListener('abort', () => reject(new Error('killed'))));
}

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

describe('OperationManager', () => {
  it('runs work as an operation: owner, progress, success, and the id told to the requester', async () => {
    const { ops, events } = manager();
    let told = '';
    const result = await ops.run(spec, { ...ALICE, onOperation: (id) => (told = id) }, async (op) => {
      op.progress({ phase: 'copying disk0', fraction: 0.5, bytesDone: 5, bytesTotal: 10 });
      return 'made';
    });
    expect(result).toBe('made');
    expect(told).toMatch(/^[a-f0-9]{8}$/);
    expect(events.map((e) => [e.state, e.progress.phase, e.progress.fraction])).toEqual([
      ['running', 'starting', null],
      ['running', 'copying disk0', 0.5],
      ['succeeded', 'done', 1],
    ]);
    expect(ops.get(told)).toMatchObject({ id: told, state: 'succeeded', owner: { uid: 1000, pid: 4242 }, finishedAt: expect.any(String), error: null });
  });

  it('cancel aborts the work, runs its undo steps newest first, and ends as cancelled', async () => {
    const { ops } = manager();
    const undone: string[] = [];
    let id = '';
    const running = ops.run(spec, { ...ALICE, onOperation: (i) => (id = i) }, async (op) => {
      op.onUndo(() => void undone.push('folder'));
      op.onUndo(() => void undone.push('disk0'));
      return untilCancelled(op);
    });
    running.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    expect(ops.list({ state: 'running' }).map((o) => o.id)).toEqual([id]);
    expect(ops.cancel(id, { uid: 0 })).toMatchObject({ cancelRequested: true });
    await expect(running).rejects.toMatchObject({ code: 'cancelled', message: 'Clone of web1 of VM web2 was cancelled by uid 0' });
    expect(undone).toEqual(['disk0', 'folder']);
    expect(ops.get(id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(() => ops.cancel(id, null)).toThrow(/already cancelled/);
  });

  it('a step that cannot be interrupted says so, and the cancel takes effect at the next boundary', async () => {
    const { ops, events } = manager();
    let id = '';
    let finishStep: () => void = () => undefined;
    const running = ops.run(spec, { ...ALICE, onOperation: (i) => (id = i) }, async (op) => {
      op.progress({ phase: 'saving memory', cancellable: false });
      await new Promise<void>((r) => (finishStep = r));
      op.throwIfCancelled();
      return 'never';
    });
    running.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    ops.cancel(id, ALICE.caller);
    expect(events.at(-1)).toMatchObject({ cancelRequested: true, cancellable: false, state: 'running' });
    finishStep();
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('a failure keeps the engine error, and a conflicting operation is refused as locked', async () => {
    const { ops } = manager();
    let release: () => void = () => undefined;
    const first = ops.run(spec, ALICE, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 0));
    await expect(ops.run({ ...spec, lockWaitMs: 0 }, ALICE, async () => 'x')).rejects.toMatchObject({
      code: 'locked',
      message: expect.stringMatching(/^VM web2 is busy: clone of web1 \(started \d+ s ago by uid 1000\)$/),
    });
    release();
    await first;
    await expect(ops.run(spec, null, async () => Promise.reject(new NovaError('not_found', 'VM web1 does not exist')))).rejects.toMatchObject({ code: 'not_found' });
    expect(ops.list()[0]).toMatchObject({ state: 'failed', owner: null, error: { code: 'not_found', message: 'VM web1 does not exist' } });
  });

  it('keeps history on disk: a restart lists finished ones, and one that was running ends as failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv8op-'));
    dirs.push(dir);
    const store = new RecordStore(OPERATION_RECORD, dir);
    const first = manager({ store, keepFinished: 2 }).ops;
    await first.init();
    for (let i = 0; i < 3; i++) await first.run(spec, ALICE, async () => i);
    let hang: () => void = () => undefined;
    const hung = first.run({ ...spec, resource: { kind: 'vm', name: 'other' } }, ALICE, () => new Promise<void>((r) => (hang = r)));
    await new Promise((r) => setTimeout(r, 10));
    expect(await readdir(dir)).toHaveLength(3); // two kept finished, one running

    const second = manager({ store }).ops;
    await second.init();
    const listed = second.list();
    expect(listed.map((o) => o.state)).toEqual(['failed', 'succeeded', 'succeeded']);
    expect(listed[0]!.error?.message).toMatch(/the Nova helper stopped while clone of web1 ran/);
    hang();
    await hung;
  });
});
