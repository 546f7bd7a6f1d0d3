import { describe, expect, it } from 'vitest';
import type { Operation } from '../../../src-shared/operation.js';
import { sampleOperation } from '../../../src-shared/testing/sample-operation.js';
import { busyByName, busyOf, runningOn } from './resource-busy.js';

const web1 = { kind: 'vm', name: 'web1' } as const;

function clone(over: Partial<Operation> = {}): Operation {
  return sampleOperation({ id: 'c10e0001', kind: 'vm.clone', resource: web1, title: 'clone to web2', startedAt: '2026-01-01T00:00:05.000Z', ...over });
}

const byId = (...ops: Operation[]) => Object.fromEntries(ops.map((op) => [op.id, op]));

describe('runningOn', () => {
  it('finds the newest operation running on the resource, whoever started it', () => {
    const older = clone({ id: 'c10e0000', title: 'start', kind: 'vm.start', startedAt: '2026-01-01T00:00:01.000Z' });
    const newer = clone();
    expect(runningOn(byId(older, newer), web1)).toBe(newer);
    expect(runningOn(byId(newer, older), web1)).toBe(newer);
  });

  it('ignores finished operations, other resources and the same name of another kind', () => {
    const ops = byId(
      clone({ state: 'succeeded', finishedAt: '2026-01-01T00:00:09.000Z' }),
      clone({ id: 'c10e0002', resource: { kind: 'vm', name: 'web2' } }),
      clone({ id: 'c10e0003', kind: 'capsule.create', resource: { kind: 'capsule', name: 'web1' } }),
    );
    expect(runningOn(ops, web1)).toBeNull();
  });
});

describe('busyOf', () => {
  it('names the operation as a locked refusal would, and words the badge by its kind', () => {
    expect(busyOf(clone())).toEqual({ status: 'Cloning…', reason: 'busy: clone to web2', operationId: 'c10e0001' });
    expect(busyOf(clone({ kind: 'capsule.snapshotCreate', title: "snapshot 'pre'" }))).toMatchObject({ status: 'Taking a snapshot…', reason: "busy: snapshot 'pre'" });
  });

  it('says Cancelling once a cancel was asked for, until the operation ends', () => {
    expect(busyOf(clone({ cancelRequested: true }))).toMatchObject({ status: 'Cancelling…', reason: 'busy: clone to web2' });
  });

  it("prefers the operation over this window's own label, and falls back to that label", () => {
    expect(busyOf(clone({ kind: 'vm.start', title: 'start' }), 'Starting…')).toMatchObject({ status: 'Starting…', reason: 'busy: start', operationId: 'c10e0001' });
    expect(busyOf(null, 'Stopping…')).toEqual({ status: 'Stopping…', reason: 'busy: stopping', operationId: null });
    expect(busyOf(null)).toBeNull();
    expect(busyOf(null, '')).toBeNull();
  });
});

describe('busyByName', () => {
  it("gives every busy resource of a kind, from operations and this window's labels", () => {
    const ops = byId(
      clone(),
      clone({ id: 'c10e0002', kind: 'vm.snapshotCreate', resource: { kind: 'vm', name: 'db' }, title: "snapshot 'nightly'" }),
      clone({ id: 'c10e0003', kind: 'network.create', resource: { kind: 'network', name: 'lab' }, title: 'creation' }),
      clone({ id: 'c10e0004', resource: { kind: 'vm', name: 'old' }, state: 'failed', finishedAt: '2026-01-01T00:00:09.000Z' }),
    );
    const busy = busyByName(ops, 'vm', { cache: 'Pausing…', web1: 'Starting…' });
    expect(Object.keys(busy).sort()).toEqual(['cache', 'db', 'web1']);
    expect(busy['web1']).toMatchObject({ status: 'Cloning…', reason: 'busy: clone to web2' });
    expect(busy['db']).toMatchObject({ status: 'Taking a snapshot…', reason: "busy: snapshot 'nightly'" });
    expect(busy['cache']).toEqual({ status: 'Pausing…', reason: 'busy: pausing', operationId: null });
    expect(busyByName(ops, 'network')).toEqual({ lab: { status: 'Creating…', reason: 'busy: creation', operationId: 'c10e0003' } });
    expect(busyByName({}, 'capsule')).toEqual({});
  });
});
