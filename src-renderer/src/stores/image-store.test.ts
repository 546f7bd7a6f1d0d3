import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src-shared/index.js';
import { sampleOperation as op } from '../../../src-shared/testing/sample-operation.js';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createImageStore } from './image-store.js';
import { createOperationStore } from './operation-store.js';

const flush = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** image.import answers when the test says; the lists answer at once. */
function setup() {
  let finishImport: (e: Envelope<unknown>) => void = () => undefined;
  const transport = new FakeTransport((method) => {
    switch (method) {
      case 'image.import':
        return new Promise<Envelope<unknown>>((r) => (finishImport = r));
      case 'image.list':
        return { ok: true, value: [] };
      case 'ociImage.list':
        return { ok: true, value: { images: [] } };
      case 'capsule.list':
        return { ok: true, value: { capsules: [], broken: [] } };
      case 'operation.list':
        return { ok: true, value: { operations: [op({ id: '0dd00001', state: 'failed', resource: { kind: 'image', name: 'base' }, finishedAt: '2026-01-01T00:00:01.000Z' })] } };
      default:
        return { ok: true, value: null };
    }
  });
  const client = new NovaClient(transport);
  const operations = createOperationStore(client);
  const images = createImageStore(client, operations.store);
  return { transport, images: images.store, finish: (e: Envelope<unknown>) => finishImport(e) };
}

describe('image store', () => {
  it('hands an import over once the helper runs it, and keeps a later failure beside the list', async () => {
    const { transport, images, finish } = setup();
    await flush();
    let started = false;
    const importing = images.getState().importDisk('/srv/base.raw', 'base').then(() => (started = true));
    await flush();
    // An earlier operation on the same image is not this one.
    transport.emit({ name: 'operation.changed', payload: op({ id: '0dd00001', state: 'failed', resource: { kind: 'image', name: 'base' } }) });
    await flush();
    expect(started).toBe(false);
    transport.emit({ name: 'operation.changed', payload: op({ id: 'eee00002', resource: { kind: 'image', name: 'base' } }) });
    await importing;
    expect(transport.callsOf('image.import').map((c) => c.params)).toEqual([{ path: '/srv/base.raw', name: 'base' }]);
    finish({ ok: false, error: { code: 'internal', message: 'qemu-img convert failed: no space left' } });
    await flush();
    expect(images.getState().importFailures).toEqual([{ name: 'base', error: { code: 'internal', message: 'qemu-img convert failed: no space left' } }]);
    images.getState().dismissImportFailure('base');
    expect(images.getState().importFailures).toEqual([]);
  });

  it('does not call a cancel a failure', async () => {
    const { transport, images, finish } = setup();
    await flush();
    const importing = images.getState().importDisk('/srv/base.raw', 'base');
    transport.emit({ name: 'operation.changed', payload: op({ id: 'eee00002', resource: { kind: 'image', name: 'base' } }) });
    await importing;
    finish({ ok: false, error: { code: 'cancelled', message: 'import of /srv/base.raw as image base was cancelled' } });
    await flush();
    expect(images.getState().importFailures).toEqual([]);
  });

  it("passes on the helper's refusal when no operation started", async () => {
    const { images, finish } = setup();
    await flush();
    const importing = images.getState().importDisk('/etc/shadow', 'base');
    finish({ ok: false, error: { code: 'invalid_argument', message: 'image source /etc/shadow is outside the allowed folders' } });
    await expect(importing).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('reads the lists again when an image operation succeeds, and not for other operations', async () => {
    const { transport, images } = setup();
    await flush();
    const running = op({ id: 'eee00002', resource: { kind: 'image', name: 'base' } });
    transport.emit({ name: 'operation.changed', payload: op({ id: 'aa000003', kind: 'vm.start', resource: { kind: 'vm', name: 'web' } }) });
    transport.emit({ name: 'operation.changed', payload: op({ id: 'aa000003', kind: 'vm.start', resource: { kind: 'vm', name: 'web' }, state: 'succeeded' }) });
    transport.emit({ name: 'operation.changed', payload: running });
    await flush(200);
    expect(transport.callsOf('image.list')).toHaveLength(0);
    transport.emit({ name: 'operation.changed', payload: { ...running, state: 'succeeded', finishedAt: '2026-01-01T00:00:05.000Z' } });
    await flush(200);
    expect(transport.callsOf('image.list')).toHaveLength(1);
    expect(images.getState()).toMatchObject({ images: [], ociImages: [], error: null });
  });
});
