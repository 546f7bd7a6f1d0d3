import { describe, expect, it } from 'vitest';
import type { VmManager } from '../vm/vm-manager.js';
import type { CallContext } from './handler-table.js';
import { vmHandlers } from './vm-methods.js';

const root: CallContext = { caller: { pid: 1, uid: 0, gid: 0, startTime: '1' } };
/** These cases hand over no file by descriptor. */
const noHandedFiles = { take: () => Promise.reject(new Error('no file was handed over')) };
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
    snapshotCreate: record('snapshotCreate'),
    clone: record('clone'),
    create: record('create'),
    pause: record('pause'),
  } as unknown as VmManager;
}

describe('vm handlers', () => {
  it('runs QEMU as the calling user unless the caller is root', async () => {
    const calls: unknown[][] = [];
    const h = vmHandlers({ vms: fakeManager(calls), handedFiles: noHandedFiles });
    await h['vm.start']({ name: 'a' }, root);
    await h['vm.start']({ name: 'b' }, user);
    expect(calls).toEqual([
      ['start', 'a', {}, root],
      ['start', 'b', { runAsUid: 1000, runAsGid: 1000 }, user],
    ]);
  });

  it('passes stop and delete options and the caller through, and answers ok', async () => {
    const calls: unknown[][] = [];
    const h = vmHandlers({ vms: fakeManager(calls), handedFiles: noHandedFiles });
    await h['vm.stop']({ name: 'a', force: true, timeoutMs: 5 }, root);
    expect(await h['vm.delete']({ name: 'a', force: false, keepDisks: true }, root)).toEqual({ ok: true });
    expect(await h['vm.snapshotRestore']({ name: 'a', snapshot: 's' }, root)).toEqual({ ok: true });
    expect(calls).toEqual([
      ['stop', 'a', { force: true, timeoutMs: 5 }, root],
      ['delete', 'a', { force: false, keepDisks: true }, root],
      ['snapshotRestore', 'a', 's', root],
    ]);
  });

  it('hands the call context to every long or locking verb, so its operation names the caller', async () => {
    const calls: unknown[][] = [];
    const h = vmHandlers({ vms: fakeManager(calls), handedFiles: noHandedFiles });
    const ctx: CallContext = { ...user, onOperation: () => undefined };
    await h['vm.clone']({ source: 'a', target: 'b', linked: false }, ctx);
    await h['vm.snapshotCreate']({ name: 'a', snapshot: 's', description: '', keepForever: true, withMemory: false }, ctx);
    await h['vm.pause']({ name: 'a' }, ctx);
    expect(calls.map((c) => c.find((arg) => arg === ctx))).toEqual([ctx, ctx, ctx]);
    expect(calls[1]?.at(-1)).toEqual({ keepForever: true, withMemory: false });
  });
});
