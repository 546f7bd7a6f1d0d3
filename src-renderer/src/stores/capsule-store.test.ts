import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src-shared/index.js';
import { sampleOperation } from '../../../src-shared/testing/sample-operation.js';
import { sampleCapsule } from '../lib/sample-capsule.js';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createCapsuleStore } from './capsule-store.js';
import { createOperationStore } from './operation-store.js';

const flush = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const SPEC = { name: 'web', image: 'busybox:latest' };
const creation = (id = 'ca500001') => sampleOperation({ id, kind: 'capsule.create', resource: { kind: 'capsule', name: 'web' }, title: 'create from image busybox:latest' });

/** capsule.create answers when the test says; the rest at once. */
function setup() {
  let finishCreate: (e: Envelope<unknown>) => void = () => undefined;
  const transport = new FakeTransport((method) => {
    switch (method) {
      case 'capsule.create':
        return new Promise<Envelope<unknown>>((r) => (finishCreate = r));
      case 'capsule.list':
        return { ok: true, value: { capsules: [] } };
      case 'operation.list':
        return { ok: true, value: { operations: [] } };
      case 'capsule.start':
        return { ok: false, error: { code: 'failed_precondition', message: 'no runtime' } };
      default:
        return { ok: true, value: null };
    }
  });
  const client = new NovaClient(transport);
  const operations = createOperationStore(client);
  const capsules = createCapsuleStore(client, operations.store);
  disposers.push(capsules.dispose, operations.dispose);
  return { transport, capsules: capsules.store, finish: (e: Envelope<unknown>) => finishCreate(e) };
}

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

describe('capsule store: create', () => {
  it("hands the creation over once the helper runs it, then starts the capsule when it is made, keeping the start's failure", async () => {
    const { transport, capsules, finish } = setup();
    await flush();
    let handedOver = false;
    const creating = capsules.getState().create(SPEC, true).then(() => (handedOver = true));
    await flush();
    expect(handedOver).toBe(false);
    transport.emit({ name: 'operation.changed', payload: creation() });
    await creating;
    expect(transport.callsOf('capsule.start')).toHaveLength(0);

    finish({ ok: true, value: sampleCapsule('web') });
    await flush(20);
    expect(transport.callsOf('capsule.start').map((c) => c.params)).toEqual([{ name: 'web' }]);
    expect(capsules.getState().failures['web']).toEqual({ what: 'Starting', error: { code: 'failed_precondition', message: 'no runtime' } });
  });

  it('keeps a creation that failed after the hand-over beside the capsule, and a cancel as nothing', async () => {
    const { transport, capsules, finish } = setup();
    await flush();
    const creating = capsules.getState().create(SPEC, true);
    transport.emit({ name: 'operation.changed', payload: creation() });
    await creating;
    finish({ ok: false, error: { code: 'cancelled', message: 'creation of capsule web was cancelled; nothing was kept' } });
    await flush(20);
    expect(capsules.getState().failures).toEqual({});
    expect(transport.callsOf('capsule.start')).toHaveLength(0);

    const again = capsules.getState().create(SPEC, false);
    transport.emit({ name: 'operation.changed', payload: creation('ca500002') });
    await again;
    finish({ ok: false, error: { code: 'internal', message: 'mount: no space left' } });
    await flush(20);
    expect(capsules.getState().failures['web']).toEqual({ what: 'Creating', error: { code: 'internal', message: 'mount: no space left' } });
  });

  it('passes on a refusal that came before any operation, so the dialog shows it', async () => {
    const { capsules, finish } = setup();
    await flush();
    const creating = capsules.getState().create(SPEC, true);
    finish({ ok: false, error: { code: 'already_exists', message: 'A capsule named "web" already exists' } });
    await expect(creating).rejects.toMatchObject({ code: 'already_exists' });
    expect(capsules.getState().failures).toEqual({});
  });

  it('is done at once when the creation ends before its operation was seen', async () => {
    const { transport, capsules, finish } = setup();
    await flush();
    const creating = capsules.getState().create(SPEC, false);
    finish({ ok: true, value: sampleCapsule('web') });
    await creating;
    await flush(20);
    expect(transport.callsOf('capsule.list').length).toBeGreaterThan(0);
    expect(transport.callsOf('capsule.start')).toHaveLength(0);
  });
});
