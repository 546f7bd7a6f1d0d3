import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { sampleOperation } from '../../src-shared/testing/sample-operation.js';
import type { CapsuleExit } from '../../src-shared/capsule.js';
import { LONG_OPERATION_MS, notificationFor, resourcePageHash } from './notification-rules.js';

function exit(over: Partial<CapsuleExit>): CapsuleExit {
  return { exitCode: null, signal: null, reason: 'exited', at: '2026-12-06T08:00:00.000Z', ...over };
}

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

  it('tells of a capsule that exited and is being restarted, with why when its last exit is known', () => {
    const restarting = { name: 'capsule.stateChanged', payload: { name: 'redis', state: 'restarting' } } as const;
    expect(notificationFor(restarting, false)).toMatchObject({
      summary: 'Capsule redis exited',
      body: 'Its restart policy is starting it again.',
      target: { kind: 'capsule', name: 'redis' },
    });
    expect(notificationFor(restarting, false, { capsuleExit: exit({ reason: 'exited', exitCode: 3 }) })).toMatchObject({
      body: 'Exited with code 3. Its restart policy is starting it again.',
    });
  });

  it('tells why a capsule died: exit code, signal, OOM kill, a start that failed; not a stop asked for or a clean exit', () => {
    const stopped = { name: 'capsule.stateChanged', payload: { name: 'redis', state: 'stopped' } } as const;
    const said = (e: Partial<CapsuleExit>) => notificationFor(stopped, true, { capsuleExit: exit(e) });
    expect(said({ reason: 'oom-killed', exitCode: 137, signal: 'SIGKILL' })).toEqual({
      summary: 'Capsule redis stopped',
      body: 'Killed by the kernel for running out of memory (OOM kill at its memory limit).',
      urgency: 'critical',
      target: { kind: 'capsule', name: 'redis' },
      actions: [{ key: 'default', label: 'Open' }],
    });
    expect(said({ reason: 'signaled', exitCode: 143, signal: 'SIGTERM' })?.body).toBe('Killed by signal SIGTERM.');
    expect(said({ reason: 'signaled', exitCode: 137, signal: null })?.body).toBe('Killed by signal 9.');
    expect(said({ reason: 'exited', exitCode: 2 })).toMatchObject({ body: 'Exited with code 2.', urgency: 'normal' });
    expect(said({ reason: 'start-failed', exitCode: null, message: 'exec: "nginx": not found' })?.body).toBe('Failed to start (exec: "nginx": not found).');
    expect(said({ reason: 'lost', exitCode: null })?.body).toBe('Its process was gone when Nova looked.');
    expect(said({ reason: 'stopped', exitCode: 0 })).toBeNull();
    expect(said({ reason: 'exited', exitCode: 0 })).toBeNull();
    // Without its last exit there is nothing to say why, so nothing is said.
    expect(notificationFor(stopped, false)).toBeNull();
  });

  it('opens the page of what it is about', () => {
    expect(resourcePageHash({ kind: 'vm', name: 'web' })).toBe('#/vms/web');
    expect(resourcePageHash({ kind: 'capsule', name: 'redis' })).toBe('#/capsules/redis');
    expect(resourcePageHash({ kind: 'network', name: 'lan' })).toBe('#/networks/lan');
    expect(resourcePageHash({ kind: 'ociImage', name: 'busybox:1' })).toBe('#/images');
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
