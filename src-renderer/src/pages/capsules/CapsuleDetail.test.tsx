// The capsule page with operations on it, rendered to markup from the real stores (fed
// by a scripted transport): a creation shows in place before the capsule is listed, a
// snapshot in place and in the header, with the conflicting actions off and saying why.
import { renderToStaticMarkup } from 'react-dom/server';
import type { StoreApi } from 'zustand/vanilla';
import { afterEach, describe, expect, it } from 'vitest';
import type { Operation } from '../../../../src-shared/operation.js';
import { sampleOperation } from '../../../../src-shared/testing/sample-operation.js';
import { createServices, ServicesContext, type Services } from '../../app/services.js';
import { sampleCapsule } from '../../lib/sample-capsule.js';
import type { CapsuleTab } from '../../lib/capsule-route.js';
import { createCapsuleStore, type CapsuleStore } from '../../stores/capsule-store.js';
import { FakeTransport } from '../../transport/fake-transport.js';
import { NovaClient } from '../../transport/nova-client.js';
import { CapsuleStoreContext } from './capsule-context.js';
import { CapsuleDetail } from './CapsuleDetail.js';
import { stopOutcome } from './use-capsule-power.js';

const flush = () => new Promise((r) => setTimeout(r, 0));
const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

/** Rendering to markup reads a store's initial state: make that its state now. */
function current<S>(store: StoreApi<S>): void {
  store.getInitialState = store.getState;
}

async function renderPage(name: string, tab: CapsuleTab, capsules: unknown[], operations: Operation[]): Promise<string> {
  const transport = new FakeTransport((method) => {
    if (method === 'operation.list') return { ok: true, value: { operations } };
    if (method === 'capsule.list') return { ok: true, value: { capsules } };
    return { ok: true, value: null };
  });
  const services: Services = createServices(new NovaClient(transport));
  const section = createCapsuleStore(services.client, services.operations);
  disposers.push(section.dispose, services.dispose);
  const store: CapsuleStore = section.store;
  await store.getState().load();
  await flush();
  current(services.operations);
  current(store);
  return renderToStaticMarkup(
    <ServicesContext value={services}>
      <CapsuleStoreContext value={store}>
        <CapsuleDetail name={name} tab={tab} />
      </CapsuleStoreContext>
    </ServicesContext>,
  );
}

const attribute = (html: string, tag: RegExp, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag.exec(html)?.[0] ?? '')?.[1];

describe('capsule page', () => {
  it('shows a creation in place, with its progress and Cancel, before the capsule is listed', async () => {
    const creating = sampleOperation({ id: 'ca500001', kind: 'capsule.create', resource: { kind: 'capsule', name: 'web' }, title: 'create from image busybox:latest' }, { phase: "copying the image's root filesystem" });
    const html = await renderPage('web', 'logs', [], [creating]);
    expect(html).toContain('aria-label="Operations on web"');
    expect(html).toContain('aria-label="Create from image busybox:latest of Capsule web: Running"');
    expect(attribute(html, /<div[^>]*role="progressbar"[^>]*>/, 'aria-valuetext')).toBe('copying the image&#x27;s root filesystem');
    expect(html).toContain('aria-label="Cancel create from image busybox:latest"');
    expect(html).toContain('Creating web… Its page fills in once it is ready.');
    expect(html).not.toContain('There is no capsule called web');
  });

  it('says there is no such capsule when nothing is making it', async () => {
    const html = await renderPage('web', 'logs', [], []);
    expect(html).toContain('There is no capsule called web (any more).');
    expect(html).not.toContain('Operations on web');
  });

  it('shows a snapshot under way in place and as its state, with the conflicting actions off naming it', async () => {
    const snapping = sampleOperation({ id: '5a900001', kind: 'capsule.snapshotCreate', resource: { kind: 'capsule', name: 'web' }, title: "snapshot 'pre'" }, { phase: 'archiving the writable layer' });
    const html = await renderPage('web', 'snapshots', [sampleCapsule('web', { state: 'running', pid: 42, startedAt: '2026-01-01T00:00:01.000Z' })], [snapping]);
    expect(html).toContain('aria-label="Snapshot &#x27;pre&#x27; of Capsule web: Running"');
    expect(attribute(html, /<div[^>]*role="progressbar"[^>]*>/, 'aria-valuetext')).toBe('archiving the writable layer');
    const badge = /<span class="vm-state vm-state--busy"[^>]*>(?:<span[^>]*><\/span>)?([^<]*)<\/span>/.exec(html);
    expect(badge?.[0]).toContain('title="busy: snapshot &#x27;pre&#x27;"');
    expect(badge?.[1]).toBe('Taking a snapshot…');
    for (const label of ['Stop', 'Restart', 'Pause']) {
      expect(html).toMatch(new RegExp(`<button[^>]*title="busy: snapshot &#x27;pre&#x27;"[^>]*aria-disabled="true"[^>]*>(<svg.*?</svg>)?${label}</button>`));
    }
    expect(html).toMatch(/<button type="submit"[^>]*aria-disabled="true" title="busy: snapshot &#x27;pre&#x27;"/);
  });

  it('shows on its Settings tab the network and address it runs with, and the editor of a stopped one', async () => {
    const running = sampleCapsule('web', { state: 'running', pid: 42, startedAt: '2026-01-01T00:00:01.000Z', network: { name: 'lan', address: '10.88.0.5', hostname: 'web', hostIfname: 'nv-web0' } });
    const html = await renderPage('web', 'settings', [{ ...running, spec: { ...running.spec, network: 'lan', ports: [{ hostPort: 8080, guestPort: 80, protocol: 'tcp' }] } }], []);
    expect(html).toContain('<dt>Network</dt><dd>lan, address 10.88.0.5 (host side nv-web0)</dd>');
    expect(html).toContain('<dt>Published ports</dt><dd>host 8080 → capsule 80</dd>');
    expect(html).toContain('aria-label="Change settings"');
    expect(html).toMatch(/<button type="submit"[^>]*data-method="capsule.update"[^>]*aria-disabled="true"[^>]*title="Stop the capsule first"/);
    expect(html).toContain('Stop the capsule to change these');
  });

  it('shows a stop the user asked for calmly, and every lifecycle control names its method', async () => {
    const stopped = sampleCapsule('web', { lastExit: { exitCode: 137, signal: 'SIGKILL', reason: 'stopped', at: '2026-01-01T00:01:00.000Z' } });
    const html = await renderPage('web', 'logs', [stopped], []);
    expect(html).toMatch(/<p class="vm-reason vm-reason--calm" role="note">Last exit: stopped on request, killed/);
    expect(html).toMatch(/<button[^>]*data-method="capsule.start"[^>]*>(<svg.*?<\/svg>)?Start<\/button>/);
  });
});

describe('stop outcome', () => {
  it('tells a graceful stop, a kill after the timeout and a kill asked for apart', () => {
    const exit = (signal: string | null) => ({ lastExit: { exitCode: null, signal, reason: 'stopped' as const, at: '' } });
    expect(stopOutcome('web', exit('SIGTERM'), 1, false)).toBe("Stopped 'web' after 1 s");
    expect(stopOutcome('web', exit('SIGKILL'), 10, false)).toBe("Stopped 'web' after 10 s: the process ignored SIGTERM, so it was killed");
    expect(stopOutcome('web', exit('SIGKILL'), 3, true)).toBe("Killed 'web' after 3 s, as asked");
  });
});
