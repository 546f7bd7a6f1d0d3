import { describe, expect, it } from 'vitest';
import { cancelNote, kindLabel, lockingOperation, operationStatus, progressFraction, progressNumbers, resourceHref, sortOperations } from './operation-format.js';
import { sampleOperation as op } from '../../../src-shared/testing/sample-operation.js';

describe('operation wording', () => {
  it('says the state in words, with a tone for its colour', () => {
    expect(operationStatus(op())).toEqual({ tone: 'running', text: 'Running' });
    expect(operationStatus(op({ cancelRequested: true }))).toEqual({ tone: 'cancelling', text: 'Cancelling' });
    expect(operationStatus(op({ state: 'failed' }))).toEqual({ tone: 'fail', text: 'Failed' });
    expect(operationStatus(op({ state: 'cancelled', cancelRequested: true }))).toEqual({ tone: 'cancelled', text: 'Cancelled' });
    expect(kindLabel('ociImage.pull')).toBe('Image pull');
  });

  it('gives percent and bytes when the engine reports them, and a fill from bytes alone', () => {
    expect(progressNumbers(op({}, { fraction: 0.426, bytesDone: 1288490189, bytesTotal: 3221225472 }))).toBe('42 % · 1.2 GiB of 3.0 GiB');
    expect(progressNumbers(op({}, { fraction: null, bytesDone: 5 * 1024 * 1024 }))).toBe('5.0 MiB');
    expect(progressNumbers(op({}, { fraction: null }))).toBe('');
    expect(progressFraction(op({}, { fraction: null, bytesDone: 1, bytesTotal: 4 }))).toBe(0.25);
    expect(progressFraction(op({}, { fraction: null, bytesDone: 1, bytesTotal: 0 }))).toBeNull();
  });

  it('says how a cancel will go', () => {
    expect(cancelNote(op())).toBeNull();
    expect(cancelNote(op({ cancellable: false }))).toBe('A cancel now waits for the step under way');
    expect(cancelNote(op({ cancelRequested: true, cancellable: false }))).toBe('Stops after the step under way…');
    expect(cancelNote(op({ state: 'cancelled', cancelRequested: true }))).toBeNull();
  });

  it("links each resource to its page", () => {
    expect(resourceHref({ kind: 'vm', name: 'web 1' })).toBe('#/vms/web%201');
    expect(resourceHref({ kind: 'ociImage', name: 'alpine' })).toBe('#/images');
    expect(resourceHref({ kind: 'project', name: 'lab' })).toBeNull();
  });

  it('lists running operations first, then the others by when they ended', () => {
    const ops = [
      op({ id: 'aaaa0001', state: 'succeeded', startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:09.000Z' }),
      op({ id: 'aaaa0002', startedAt: '2026-01-01T00:00:02.000Z' }),
      op({ id: 'aaaa0003', state: 'failed', startedAt: '2026-01-01T00:00:05.000Z', finishedAt: '2026-01-01T00:00:06.000Z' }),
      op({ id: 'aaaa0004', startedAt: '2026-01-01T00:00:04.000Z' }),
    ];
    expect(sortOperations(ops).map((o) => o.id)).toEqual(['aaaa0004', 'aaaa0002', 'aaaa0001', 'aaaa0003']);
  });

  it('finds the operation a busy refusal names', () => {
    expect(lockingOperation({ code: 'locked', message: 'Image base is busy', details: { operationId: 'abcd1234' } })).toBe('abcd1234');
    expect(lockingOperation({ code: 'locked', message: 'VM web is busy: stop' })).toBeNull();
    expect(lockingOperation({ code: 'internal', message: 'x', details: { operationId: 'abcd1234' } })).toBeNull();
  });
});
