// The hardening every window gets, checked against the fake electron module.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as fake from './testing/fake-electron.js';
import { consoleWindowOpen, openConsoleWindow } from './console-window.js';
import { createMainWindow } from './main-window.js';
import { installSecurityPolicies, secureWebPreferences, TrustedWindows } from './security.js';

vi.mock('electron', () => import('./testing/fake-electron.js'));

const PRELOAD = '/opt/nova/out/preload/index.cjs';
const SECURE = {
  preload: PRELOAD,
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
};

beforeEach(() => fake.resetFakeElectron());

describe('web preferences', () => {
  it('gives the main window, the console window and window.open exactly the secure preferences', () => {
    expect(secureWebPreferences(PRELOAD)).toEqual(SECURE);
    const main = createMainWindow(PRELOAD) as unknown as fake.BrowserWindow;
    expect(main.options.webPreferences).toEqual(SECURE);
    const consoleWin = openConsoleWindow('web', PRELOAD) as unknown as fake.BrowserWindow;
    expect(consoleWin.options.webPreferences).toEqual(SECURE);
    expect(consoleWin.loadedUrl).toBe('nova://app/console.html#web');
    const opened = consoleWindowOpen('nova://app/console.html#web', PRELOAD);
    expect(opened.action).toBe('allow');
    expect(opened.overrideBrowserWindowOptions?.webPreferences).toEqual(SECURE);
  });

  it('shows each window only once its page has loaded', () => {
    for (const win of [createMainWindow(PRELOAD), openConsoleWindow('web', PRELOAD)] as unknown as fake.BrowserWindow[]) {
      expect(win.options.show).toBe(false);
      expect(win.isVisible()).toBe(false);
      win.webContents.finishLoad();
      expect(win.isVisible()).toBe(true);
    }
  });
});

describe('installSecurityPolicies', () => {
  it('denies every permission request and check', () => {
    installSecurityPolicies();
    const ses = fake.session.defaultSession;
    const answers: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'fullscreen']) {
      (ses.permissionRequestHandler as (wc: unknown, p: string, cb: (ok: boolean) => void) => void)(null, permission, (ok) => answers.push(ok));
      answers.push((ses.permissionCheckHandler as (wc: unknown, p: string) => boolean)(null, permission));
    }
    expect(answers).toHaveLength(10);
    expect(answers.every((a) => a === false)).toBe(true);
  });

  it('prevents navigation, frame navigation and redirects to a foreign URL, and allows our own', () => {
    installSecurityPolicies();
    const { webContents } = new fake.BrowserWindow();
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      for (const url of ['https://evil.example/', 'file:///etc/passwd', 'about:blank', 'nova://other/index.html', 'not a url']) {
        const event = fake.fakeEvent({ url });
        webContents.emit(name, event);
        expect(event.defaultPrevented, `${name} ${url}`).toBe(true);
      }
      const ours = fake.fakeEvent({ url: 'nova://app/index.html#/vms' });
      webContents.emit(name, ours);
      expect(ours.defaultPrevented, name).toBe(false);
    }
    const webview = fake.fakeEvent();
    webContents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it('lets window.open open only the console page, shown on load and trusted', () => {
    const opened: unknown[] = [];
    installSecurityPolicies({ openWindow: (url) => consoleWindowOpen(url, PRELOAD), onWindowOpened: (w) => opened.push(w) });
    const parent = new fake.BrowserWindow();
    const open = (url: string) => (parent.webContents.windowOpenHandler!({ url }) as { action: string }).action;
    expect(open('nova://app/console.html#web')).toBe('allow');
    for (const url of [
      'nova://app/index.html',
      'nova://app/console.html?x=1#web',
      'https://evil.example/console.html',
      'nova://app.evil/console.html',
      'about:blank',
      'javascript:alert(1)',
    ]) {
      expect(open(url), url).toBe('deny');
    }
    const child = new fake.BrowserWindow({ show: false });
    parent.webContents.emit('did-create-window', child);
    expect(opened).toEqual([child]);
    expect(child.isVisible()).toBe(false);
    child.webContents.finishLoad();
    expect(child.isVisible()).toBe(true);
  });

  it('denies window.open when no console handler is given', () => {
    installSecurityPolicies();
    const win = new fake.BrowserWindow();
    expect(win.webContents.windowOpenHandler!({ url: 'nova://app/console.html#web' })).toEqual({ action: 'deny' });
  });
});

describe('TrustedWindows', () => {
  it('forgets a window once its contents are destroyed', () => {
    const trusted = new TrustedWindows();
    const win = new fake.BrowserWindow();
    trusted.trust(win as never);
    expect(trusted.has(win.webContents as never)).toBe(true);
    win.destroy();
    expect(trusted.has(win.webContents as never)).toBe(false);
  });
});
