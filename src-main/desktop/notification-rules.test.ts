import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { sampleOperation } from '../../src-shared/testing/sample-operation.js';
import { LONG_OPERATION_MS, notificationFor } from './notification-rules.js';

/** A finished snapshot of VM web that ran `ranMs`. */
function operation(over: Partial<Operation>, ranMs: number): Operation {
  const startedAt = '2026-12-06T08:00:00.000Z';
  return sampleOperation({
    kind: 'vm.snapshotCreate',
    resource: { kind: 'vm', name: 'web' },
    title: "snapshot 'pre-upgrade'",
    state: 'succeeded',
    startedAt,
    finishedAt: new Date(Date.parse(startedAt) + ranMs).toISOString(),
    ...over,
  });
}

describe('notificationFor', () => {
  it('tells of a crashed VM, even while the user looks at the window', () => {
    expect(notificationFor({ name: 'vm.stateChanged', payload: { name: 'web', state: 'crashed', reason: 'QEMU was killed by signal 9' } }, true)).toEqual({
      summary: 'VM web crashed',
      body: 'QEMU was killed by signal 9',
      urgency: 'critical',
      target: { kind: 'vm', name: 'web' },
      actions: [{ key: 'default', label: 'Open' }],
    });
    expect(notificationFor({ name: 'vm.stateChanged', payload: { name: 'web', state: 'stopped', reason: null } }, false)).toBeNull();
  });

  it('tells of a capsule that exited and is being restarted', () => {
    expect(notificationFor({ name: 'capsule.stateChanged', payload: { name: 'redis', state: 'restarting' } }, false)).toMatchObject({
      summary: 'Capsule redis exited',
      target: { kind: 'capsule', name: 'redis' },
    });
    expect(notificationFor({ name: 'capsule.stateChanged', payload: { name: 'redis', state: 'stopped' } }, false)).toBeNull();
  });

  it('tells of a scheduled snapshot that failed, whoever looks', () => {
    const payload = { kind: 'vm', name: 'db', snapshot: 'auto-2026-12-06-0200', message: 'the scheduled snapshot auto-2026-12-06-0200 of vm db failed: no qcow2 disk' } as const;
    expect(notificationFor({ name: 'snapshot.scheduleFailed', payload }, true)).toEqual({
      summary: 'Scheduled snapshot of VM db failed',
      body: payload.message,
      urgency: 'normal',
      target: { kind: 'vm', name: 'db' },
      actions: [{ key: 'default', label: 'Open' }],
    });
  });

  it('tells of a long operation that finished or failed, only while the user is elsewhere', () => {
    const long = LONG_OPERATION_MS + 1;
    expect(notificationFor({ name: 'operation.changed', payload: operation({}, long) }, false)).toMatchObject({
      summary: "Done: snapshot 'pre-upgrade' (VM web)",
      actions: [{ key: 'default', label: 'Open' }],
    });
    const failed = operation({ state: 'failed', error: { code: 'unavailable', message: 'qemu-img: disk full' } }, long);
    expect(notificationFor({ name: 'operation.changed', payload: failed }, false)).toMatchObject({
      summary: "Failed: snapshot 'pre-upgrade' (VM web)",
      body: 'qemu-img: disk full',
    });
    const started = operation({ kind: 'vm.start', title: 'start' }, long);
    expect(notificationFor({ name: 'operation.changed', payload: started }, false)?.actions).toEqual([
      { key: 'default', label: 'Open' },
      { key: 'console', label: 'Open console' },
    ]);
    expect(notificationFor({ name: 'operation.changed', payload: operation({}, long) }, true)).toBeNull();
    expect(notificationFor({ name: 'operation.changed', payload: operation({}, LONG_OPERATION_MS - 1) }, false)).toBeNull();
    expect(notificationFor({ name: 'operation.changed', payload: operation({ state: 'cancelled' }, long) }, false)).toBeNull();
    expect(notificationFor({ name: 'operation.changed', payload: operation({ state: 'running', finishedAt: null }, long) }, false)).toBeNull();
  });
});
