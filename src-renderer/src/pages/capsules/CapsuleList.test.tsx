// The capsule list rendered to markup from the real store (fed by a scripted transport):
// a capsule with a health check shows its verdict beside its state; one without shows none.
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, ServicesContext, type Services } from '../../app/services.js';
import { sampleCapsule } from '../../lib/sample-capsule.js';
import { createCapsuleStore } from '../../stores/capsule-store.js';
import { FakeTransport } from '../../transport/fake-transport.js';
import { NovaClient } from '../../transport/nova-client.js';
import { CapsuleStoreContext } from './capsule-context.js';
import { CapsuleList } from './CapsuleList.js';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

async function renderList(capsules: unknown[]): Promise<string> {
  const transport = new FakeTransport((method) => {
    if (method === 'operation.list') return { ok: true, value: { operations: [] } };
    if (method === 'capsule.list') return { ok: true, value: { capsules, broken: [] } };
    return { ok: true, value: null };
  });
  const services: Services = createServices(new NovaClient(transport));
  const section = createCapsuleStore(services.client, services.operations);
  disposers.push(section.dispose, services.dispose);
  await section.store.getState().load();
  section.store.getInitialState = section.store.getState;
  return renderToStaticMarkup(
    <ServicesContext value={services}>
      <CapsuleStoreContext value={section.store}>
        <CapsuleList />
      </CapsuleStoreContext>
    </ServicesContext>,
  );
}

describe('capsule list', () => {
  it("shows a running capsule's health beside its state, and nothing for one without a check", async () => {
    const health = { status: 'unhealthy' as const, since: '2026-01-01T00:00:05.000Z', failingStreak: 3, lastResult: 'exit 1', lastCheckedAt: '2026-01-01T00:00:05.000Z' };
    const html = await renderList([
      sampleCapsule('db', { state: 'running', pid: 42, startedAt: '2026-01-01T00:00:01.000Z', health }),
      sampleCapsule('web', { state: 'running', pid: 43, startedAt: '2026-01-01T00:00:01.000Z' }),
    ]);
    expect(html.match(/data-health="[a-z]+"/g)).toEqual(['data-health="unhealthy"']);
    const dbRow = html.slice(html.indexOf('>db<'), html.indexOf('>web<'));
    expect(dbRow).toContain('data-health="unhealthy"');
  });
});
