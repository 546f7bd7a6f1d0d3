import { describe, expect, it } from 'vitest';
import { LockTable } from './lock-table.js';

const vm = (name: string) => ({ kind: 'vm' as const, name });
const holder = (label: string, uid: number | null = 1000) => ({ label, uid });

describe('LockTable', () => {
  it('refuses a busy resource after the bounded wait, naming the holder, its age and its owner', async () => {
    let now = 1_000_000;
    const locks = new LockTable(() => now);
    const release = await locks.acquire({ resources: [vm('web1')], holder: { label: "snapshot 'pre-upgrade'", uid: 1000, operationId: 'abcd1234' }, waitMs: 0 });
    now += 12_000;
    await expect(locks.acquire({ resources: [vm('web1')], holder: holder('stop', 0), waitMs: 10 })).rejects.toMatchObject({
      code: 'locked',
      message: "VM web1 is busy: snapshot 'pre-upgrade' (started 12 s ago by uid 1000)",
      details: { operationId: 'abcd1234', resource: { kind: 'vm', name: 'web1' } },
    });
    release();
    const again = await locks.acquire({ resources: [vm('web1')], holder: holder('stop'), waitMs: 10 });
    again();
    expect(locks.isBusy(vm('web1'))).toBe(false);
  });

  it('names the earlier request a refused one waits behind, when what it wants is free but promised', async () => {
    const locks = new LockTable();
    const started = await locks.acquire({ resources: [vm('a')], holder: holder('start'), waitMs: 0 });
    // A clone of a to b waits for a, and holds its claim on b meanwhile.
    const clone = locks.acquire({ resources: [vm('a'), vm('b')], holder: { label: 'clone to b', uid: 0, operationId: 'c10e0001' }, waitMs: 1000 });
    await expect(locks.acquire({ resources: [vm('b')], holder: holder('stop'), waitMs: 10 })).rejects.toMatchObject({
      code: 'locked',
      message: expect.stringMatching(/^VM b is busy: clone to b is waiting for it \(asked \d+ s ago by uid 0\)$/),
      details: { operationId: 'c10e0001', resource: { kind: 'vm', name: 'b' } },
    });
    started();
    (await clone)();
  });

  it('lets a waiter in when the holder releases within the wait, first come first served', async () => {
    const locks = new LockTable();
    const order: string[] = [];
    const first = await locks.acquire({ resources: [vm('a')], holder: holder('one'), waitMs: 0 });
    const second = locks.withLocks({ resources: [vm('a')], holder: holder('two'), waitMs: 1000 }, async () => order.push('two'));
    const third = locks.withLocks({ resources: [vm('a')], holder: holder('three'), waitMs: 1000 }, async () => order.push('three'));
    setTimeout(first, 20);
    await Promise.all([second, third]);
    expect(order).toEqual(['two', 'three']);
  });

  it('takes several resources together: opposite clones cannot deadlock', async () => {
    const locks = new LockTable();
    const log: string[] = [];
    const clone = (from: string, to: string) =>
      locks.withLocks({ resources: [vm(from), vm(to)], holder: holder(`clone ${from} -> ${to}`), waitMs: 2000 }, async () => {
        log.push(`start ${from}`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`end ${from}`);
      });
    await Promise.all([clone('a', 'b'), clone('b', 'a')]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('says Nova holds it when no user asked, and releases even when the work throws', async () => {
    const locks = new LockTable();
    const release = await locks.acquire({ resources: [{ kind: 'capsule', name: 'db' }], holder: holder('restart', null), waitMs: 0 });
    await expect(locks.acquire({ resources: [{ kind: 'capsule', name: 'db' }], holder: holder('stop'), waitMs: 0 })).rejects.toMatchObject({
      message: expect.stringMatching(/^Capsule db is busy: restart \(started \d+ s ago by Nova\)$/),
    });
    release();
    await expect(locks.withLocks({ resources: [vm('x')], holder: holder('boom'), waitMs: 0 }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(locks.isBusy(vm('x'))).toBe(false);
  });
});
