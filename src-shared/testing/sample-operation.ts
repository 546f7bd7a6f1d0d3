// An operation as the helper reports it, for tests on every side of the contract (the
// CLI, main, the renderer): a disk import under way, changed as a test needs.
import type { Operation } from '../operation.js';

export function sampleOperation(over: Partial<Operation> = {}, progress: Partial<Operation['progress']> = {}): Operation {
  return {
    id: 'abcd1234',
    kind: 'image.import',
    resource: { kind: 'image', name: 'base' },
    title: 'import of base.raw',
    state: 'running',
    progress: { phase: 'converting raw to qcow2', fraction: null, bytesDone: null, bytesTotal: null, ...progress },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    error: null,
    owner: { uid: 0, pid: 1 },
    cancellable: true,
    cancelRequested: false,
    ...over,
  };
}
