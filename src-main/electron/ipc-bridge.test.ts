// IPC reaches the handler table only from the main frame of a window Nova made, on our origin.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NovaEvent } from '../../src-shared/index.js';
import { IPC_EVENT_CHANNEL, ipcChannelFor } from '../../src-shared/wire/ipc-channels.js';
import * as fake from './testing/fake-electron.js';
import { bindIpc } from './ipc-bridge.js';
import { TrustedWindows } from './security.js';

vi.mock('electron', () => import('./testing/fake-electron.js'));

function setup() {
  const invoked: Array<{ method: string; params: unknown }> = [];
  const listeners = new Set<(e: NovaEvent) => void>();
  const handlers = {
    invoke: async (method: string, params: unknown) => {
      invoked.push({ method, params });
      return { ok: true as const, value: [] };
    },
  };
  const events = { subscribe: (l: (e: NovaEvent) => void) => (listeners.add(l), () => listeners.delete(l)) };
  const trusted = new TrustedWindows();
  const main = new fake.BrowserWindow();
  void main.loadURL('nova://app/index.html');
  trusted.trust(main as never);
  const unbind = bindIpc(handlers, events, () => main as never, trusted);
  const call = (method: string, sender: fake.FakeWebContents, senderFrame: fake.FakeFrame | null, params: unknown = {}) =>
    fake.ipcMain.handlers.get(ipcChannelFor(method))!({ sender, senderFrame }, params) as Promise<{ ok: boolean; error?: { code: string } }>;
  return { invoked, listeners, main, trusted, unbind, call };
}

beforeEach(() => fake.resetFakeElectron());

describe('bindIpc', () => {
  it('answers the main window\'s main frame', async () => {
    const { invoked, main, call } = setup();
    expect(await call('vm.list', main.webContents, main.webContents.mainFrame)).toEqual({ ok: true, value: [] });
    expect(invoked).toEqual([{ method: 'vm.list', params: {} }]);
  });

  it('refuses a subframe, a foreign origin, about:blank, a lost frame and a second window, never reaching the handlers', async () => {
    const { invoked, main, call } = setup();
    const refusals = [
      await call('vm.list', main.webContents, new fake.FakeFrame('nova://app/index.html')),
      await call('vm.list', main.webContents, null),
    ];
    main.webContents.mainFrame.url = 'https://evil.example/';
    refusals.push(await call('vm.stop', main.webContents, main.webContents.mainFrame, { name: 'web' }));
    main.webContents.mainFrame.url = 'about:blank';
    refusals.push(await call('vm.stop', main.webContents, main.webContents.mainFrame, { name: 'web' }));
    // A window Nova did not make, even showing our own page.
    const second = new fake.BrowserWindow();
    void second.loadURL('nova://app/index.html');
    refusals.push(await call('vm.delete', second.webContents, second.webContents.mainFrame, { name: 'web' }));
    for (const reply of refusals) expect(reply).toMatchObject({ ok: false, error: { code: 'not_authorized' } });
    expect(invoked).toEqual([]);
  });

  it('refuses a window once it is destroyed, even if its id were asked about later', async () => {
    const { invoked, main, call } = setup();
    main.destroy();
    expect(await call('vm.list', main.webContents, main.webContents.mainFrame)).toMatchObject({ ok: false });
    expect(invoked).toEqual([]);
  });

  it('forwards events to the window only after it subscribes, and stops when unbound', async () => {
    const { main, listeners, call, unbind } = setup();
    expect(listeners.size).toBe(0);
    await call('events.subscribe', main.webContents, main.webContents.mainFrame);
    expect(listeners.size).toBe(1);
    const event: NovaEvent = { name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } };
    for (const l of listeners) l(event);
    expect(main.webContents.sent).toEqual([{ channel: IPC_EVENT_CHANNEL, payload: event }]);
    unbind();
    expect(listeners.size).toBe(0);
    expect(fake.ipcMain.handlers.size).toBe(0);
  });
});
