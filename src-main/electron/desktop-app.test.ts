// The app's lifecycle against the fake electron module: one instance, the window shown
// on load, the tray from the menu model and rebuilt on state changes, close-to-tray only
// when a tray host exists, and a quit that leaves the helper and its guests alone.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NovaEvent } from '../../src-shared/index.js';
import type { NotificationActionKey, NovaNotification } from '../desktop/notification-rules.js';
import type { ResourceRef } from '../../src-shared/operation.js';
import { sampleOperation } from '../../src-shared/testing/sample-operation.js';
import * as fake from './testing/fake-electron.js';
import { runDesktopApp, type DesktopServices, type Notifier, type TrayHost } from './desktop-app.js';

vi.mock('electron', () => import('./testing/fake-electron.js'));

const tick = () => new Promise((r) => setImmediate(r));

class FakeServices implements DesktopServices {
  readonly invoked: Array<{ method: string; params: unknown }> = [];
  readonly listeners = new Set<(e: NovaEvent) => void>();
  readonly csp = "default-src 'self'";
  vms: Array<{ name: string; state: string }> = [];
  lastExit: unknown = null;
  closed = 0;
  readonly handlers = {
    invoke: async (method: string, params: unknown) => {
      this.invoked.push({ method, params });
      if (method === 'vm.list') return { ok: true as const, value: { vms: this.vms.map(({ name, state }) => ({ definition: { name }, state })), broken: [] } };
      if (method === 'capsule.list') return { ok: true as const, value: { capsules: [], broken: [] } };
      if (method === 'capsule.get') return { ok: true as const, value: { name: (params as { name: string }).name, lastExit: this.lastExit } };
      return { ok: false as const, error: { code: 'locked' as const, message: 'vm "web" is busy: starting (operation 7)' } };
    },
  };
  readonly events = { subscribe: (l: (e: NovaEvent) => void) => (this.listeners.add(l), () => this.listeners.delete(l)) };
  close(): void {
    this.closed++;
  }
  emit(event: NovaEvent): void {
    for (const l of this.listeners) l(event);
  }
  /** Everything asked of the helper except reading the lists. */
  changes(): string[] {
    return this.invoked.filter((c) => !c.method.endsWith('.list') && !c.method.endsWith('.get')).map((c) => c.method);
  }
}

class FakeTrayHost implements TrayHost {
  readonly ready = Promise.resolve();
  readonly listeners = new Set<(present: boolean) => void>();
  closed = false;
  constructor(public hostPresent: boolean) {}
  onChange(l: (present: boolean) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  close(): void {
    this.closed = true;
  }
  set(present: boolean): void {
    this.hostPresent = present;
    for (const l of this.listeners) l(present);
  }
}

class FakeNotifier implements Notifier {
  readonly shown: NovaNotification[] = [];
  readonly listeners = new Set<(target: ResourceRef, key: NotificationActionKey) => void>();
  closed = false;
  async notify(n: NovaNotification): Promise<number> {
    this.shown.push(n);
    return this.shown.length;
  }
  onAction(l: (target: ResourceRef, key: NotificationActionKey) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  close(): void {
    this.closed = true;
  }
  press(target: ResourceRef, key: NotificationActionKey): void {
    for (const l of this.listeners) l(target, key);
  }
}

async function start(hostPresent: boolean, { load = true } = {}) {
  const services = new FakeServices();
  const host = new FakeTrayHost(hostPresent);
  const notifier = new FakeNotifier();
  await runDesktopApp({
    preloadPath: '/opt/nova/preload/index.cjs',
    rendererDir: '/opt/nova/renderer',
    trayIconPath: '/opt/nova/icons/nova-tray.png',
    startServices: async () => services,
    watchTrayHost: () => host,
    startNotifier: () => notifier,
  });
  await tick();
  const main = fake.BrowserWindow.all[0]!;
  if (load) main.webContents.finishLoad();
  return { services, host, main, notifier };
}

function menuLabels(menu: fake.FakeMenu): string[] {
  return menu.template.flatMap((item) => [
    String(item.label ?? item.type),
    ...((item.submenu as Array<Record<string, unknown>> | undefined) ?? []).map((s) => `  ${String(s.label)}`),
  ]);
}

function clickItem(menu: fake.FakeMenu, path: string[]): void {
  let items = menu.template;
  for (const label of path.slice(0, -1)) items = items.find((i) => i.label === label)!.submenu as typeof items;
  (items.find((i) => i.label === path.at(-1))!.click as () => void)();
}

beforeEach(() => fake.resetFakeElectron());

describe('runDesktopApp', () => {
  it('a second instance quits at once and opens nothing; the first one comes to the front', async () => {
    fake.app.singleInstanceLockFree = false;
    await runDesktopApp({
      preloadPath: '/p',
      rendererDir: '/r',
      trayIconPath: '/i',
      startServices: () => Promise.reject(new Error('a second instance must not start services')),
      watchTrayHost: () => new FakeTrayHost(true),
      startNotifier: () => new FakeNotifier(),
    });
    expect(fake.app.quitCalls).toBe(1);
    expect(fake.BrowserWindow.all).toHaveLength(0);
    expect(fake.ipcMain.handlers.size).toBe(0);

    fake.resetFakeElectron();
    const { main } = await start(false);
    main.minimize();
    main.hide();
    fake.app.emit('second-instance');
    expect(main.calls.slice(-3)).toEqual(['restore', 'show', 'focus']);
    expect(fake.BrowserWindow.all).toEqual([main]);
  });

  it('serves the renderer on the nova scheme and shows the window only once its page has loaded', async () => {
    const { main } = await start(false, { load: false });
    expect(fake.protocol.privileged).toEqual([{ scheme: 'nova', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect([...fake.protocol.handlers.keys()]).toEqual(['nova']);
    expect(main.loadedUrl).toBe('nova://app/index.html');
    expect(main.isVisible()).toBe(false);
    main.webContents.finishLoad();
    expect(main.isVisible()).toBe(true);
  });

  it('builds the tray from the menu model when a host exists, and rebuilds it on state changes', async () => {
    const { services } = await start(true);
    expect(fake.Tray.all).toHaveLength(1);
    const tray = fake.Tray.all[0]!;
    expect(tray.icon).toEqual({ path: '/opt/nova/icons/nova-tray.png' });
    expect(menuLabels(tray.menus.at(-1)!)).toContain('No VMs or capsules yet');

    services.vms = [{ name: 'web', state: 'running' }];
    services.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } });
    await tick();
    const menu = tray.menus.at(-1)!;
    expect(menuLabels(menu)).toEqual([
      'Show Nova',
      'separator',
      'Virtual machines',
      'web — running',
      '  Open console',
      '  Stop',
      'separator',
      'Quit Nova (VMs and capsules keep running)',
    ]);
  });

  it('tray actions: stop goes through the handlers, a refusal is notified, open console opens a trusted console window', async () => {
    const { services, notifier } = await start(true);
    services.vms = [{ name: 'web', state: 'running' }];
    services.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } });
    await tick();
    const menu = fake.Tray.all[0]!.menus.at(-1)!;
    clickItem(menu, ['web — running', 'Stop']);
    await tick();
    expect(services.invoked.at(-1)).toEqual({ method: 'vm.stop', params: { name: 'web' } });
    expect(notifier.shown).toMatchObject([{ summary: 'Could not stop VM web', body: 'vm "web" is busy: starting (operation 7)' }]);

    clickItem(menu, ['web — running', 'Open console']);
    const consoleWin = fake.BrowserWindow.all.at(-1)!;
    expect(consoleWin.loadedUrl).toBe('nova://app/console.html#web');
    const reply = (await fake.ipcMain.handlers.get('nova:call:vm.list')!(
      { sender: consoleWin.webContents, senderFrame: consoleWin.webContents.mainFrame },
      {},
    )) as { ok: boolean };
    expect(reply.ok).toBe(true);
  });

  it('with a tray host, closing the window hides it and the tray brings it back', async () => {
    const { main } = await start(true);
    main.close();
    expect(main.isDestroyed()).toBe(false);
    expect(main.isVisible()).toBe(false);
    expect(fake.app.quitCalls).toBe(0);
    clickItem(fake.Tray.all[0]!.menus.at(-1)!, ['Show Nova']);
    expect(main.isVisible()).toBe(true);
  });

  it('without a tray host, closing the window quits the UI', async () => {
    const { main, services } = await start(false);
    expect(fake.Tray.all).toHaveLength(0);
    main.close();
    expect(main.isDestroyed()).toBe(true);
    expect(fake.app.quitCalls).toBe(1);
    expect(services.closed).toBe(1);
  });

  it('when the tray host goes away, the tray is removed and a hidden window comes back; a new host brings the tray back', async () => {
    const { main, host } = await start(true);
    main.close();
    expect(main.isVisible()).toBe(false);
    host.set(false);
    expect(fake.Tray.all[0]!.isDestroyed()).toBe(true);
    expect(main.isVisible()).toBe(true);
    host.set(true);
    expect(fake.Tray.all).toHaveLength(2);
    expect(fake.Tray.all[1]!.isDestroyed()).toBe(false);
  });

  it('quit from the tray closes Nova\'s UI and connection only: no stop, no shutdown reaches the helper', async () => {
    const { services, host, main, notifier } = await start(true);
    services.vms = [{ name: 'web', state: 'running' }];
    services.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } });
    await tick();
    clickItem(fake.Tray.all[0]!.menus.at(-1)!, ['Quit Nova (VMs and capsules keep running)']);
    expect(main.isDestroyed()).toBe(true);
    expect(fake.Tray.all[0]!.isDestroyed()).toBe(true);
    expect(host.closed).toBe(true);
    expect(notifier.closed).toBe(true);
    expect(services.closed).toBe(1);
    expect(services.listeners.size).toBe(0);
    expect(fake.ipcMain.handlers.size).toBe(0);
    expect(services.changes()).toEqual([]);
  });

  it('notifies a crash while the window is hidden; "Open" shows the window on the VM\'s page and "Open console" opens the console', async () => {
    const { services, main, notifier } = await start(true);
    main.close();
    services.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'crashed', reason: 'QEMU was killed by signal 9' } });
    await tick();
    expect(notifier.shown).toMatchObject([{ summary: 'VM web crashed', body: 'QEMU was killed by signal 9' }]);
    notifier.press({ kind: 'vm', name: 'web' }, 'default');
    expect(main.isVisible()).toBe(true);
    expect(main.loadedUrl).toBe('nova://app/index.html#/vms/web');
    notifier.press({ kind: 'vm', name: 'web' }, 'console');
    expect(fake.BrowserWindow.all.at(-1)!.loadedUrl).toBe('nova://app/console.html#web');
  });

  it("says why a capsule died, from its last exit read with capsule.get, and \"Open\" shows the capsule's page", async () => {
    const { services, main, notifier } = await start(true);
    main.close();
    services.lastExit = { exitCode: 137, signal: 'SIGKILL', reason: 'oom-killed', at: '2026-12-06T08:00:00.000Z' };
    services.emit({ name: 'capsule.stateChanged', payload: { name: 'redis', state: 'stopped' } });
    await tick();
    expect(services.invoked.filter((c) => c.method === 'capsule.get')).toEqual([{ method: 'capsule.get', params: { name: 'redis' } }]);
    expect(notifier.shown).toMatchObject([{ summary: 'Capsule redis stopped', body: 'Killed by the kernel for running out of memory (OOM kill at its memory limit).', urgency: 'critical' }]);
    notifier.press({ kind: 'capsule', name: 'redis' }, 'default');
    expect(main.isVisible()).toBe(true);
    expect(main.loadedUrl).toBe('nova://app/index.html#/capsules/redis');
    // A stop someone asked for is not news.
    services.lastExit = { exitCode: 0, signal: null, reason: 'stopped', at: '2026-12-06T08:01:00.000Z' };
    services.emit({ name: 'capsule.stateChanged', payload: { name: 'redis', state: 'stopped' } });
    await tick();
    expect(notifier.shown).toHaveLength(1);
  });

  it('keeps quiet about a finished operation while the user is looking at the window', async () => {
    const { services, main, notifier } = await start(true);
    main.focus();
    const op = sampleOperation({ state: 'succeeded', title: 'import debian', resource: { kind: 'image', name: 'debian' }, finishedAt: '2026-01-01T00:01:00.000Z' });
    services.emit({ name: 'operation.changed', payload: op });
    expect(notifier.shown).toEqual([]);
    main.blur();
    services.emit({ name: 'operation.changed', payload: op });
    await tick();
    expect(notifier.shown).toMatchObject([{ summary: 'Done: import debian (Image debian)' }]);
  });
});
