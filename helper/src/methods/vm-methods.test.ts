import { describe, expect, it } from 'vitest';
import type { VmManager } from '../vm/vm-manager.js';
import type { CallContext } from './handler-table.js';
import { vmHandlers } from './vm-methods.js';

const root: CallContext = { caller: { pid: 1, uid: 0, gid: 0, startTime: '1' } };
const user: CallContext = { caller: { pid: 2, uid: 1000, gid: 1000, startTime: '2' } };

function fakeManager(calls: unknown[][]): VmManager {
  const record = (method: string) => async (...args: unknown[]) => {
    calls.push([method, ...args]);
    return {};
  };
  return {
    start: record('start'),
    stop: record('stop'),
    delete: record('delete'),
    snapshotRestore: record('snapshotRestore'),
  } as unknown as VmManager;
}

describe('vm handlers', () => {
  it('runs QEMU as the calling user unless the caller is root', async () => {
    const calls: unknown[][] = [];
    const h = vmHandlers({ vms: fakeManager(calls) });
    await h['vm.start']({ name: 'a' }, root);
    await h['vm.start']({ name: 'b' }, user);
    expect(calls).toEqual([
      ['start', 'a', {}],
      ['start', 'b', { runAsUid: 1000, runAsGid: 1000 }],
    ]);
  });

  it('passes stop and delete options through and answers ok', async () => {
    const calls: unknown[][] = [];
    const h = vmHandlers({ vms: fakeManager(calls) });
    await h['vm.stop']({ name: 'a', force: true, timeoutMs: 5 }, root);
    expect(await h['vm.delete']({ name: 'a', force: false, keepDisks: true }, root)).toEqual({ ok: true });
    expect(await h['vm.snapshotRestore']({ name: 'a', snapshot: 's' }, root)).toEqual({ ok: true });
    expect(calls).toEqual([
      ['stop', 'a', { force: true, timeoutMs: 5 }],
      ['delete', 'a', { force: false, keepDisks: true }],
      ['snapshotRestore', 'a', 's'],
    ]);
  });
});
