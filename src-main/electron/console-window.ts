// Electron's corner of the VM consoles: the console proxy on its own 127.0.0.1 port
// (the page is served from nova://app, so it cannot reach web mode's same-origin path),
// the CSP that lets only console.html connect there, and its window.open policy.
import { randomBytes } from 'node:crypto';
import { BrowserWindow, type BrowserWindowConstructorOptions, type WindowOpenHandlerResponse } from 'electron';
import { ConsoleProxy, ConsoleProxyServer, helperConsoleDeps } from '../core/console-proxy.js';
import { remoteConsoleOpener } from '../core/hosts/remote-console.js';
import type { HelperClient } from '../core/helper-client.js';
import { APP_ORIGIN, parseOurUrl, RENDERER_CSP, secureWebPreferences, showWhenLoaded } from './security.js';

export const CONSOLE_PAGE = `${APP_ORIGIN}/console.html`;

export interface ElectronConsoles {
  readonly server: ConsoleProxyServer;
  readonly token: string;
  close(): Promise<void>;
}

export async function startConsoleProxy(helper: HelperClient): Promise<ElectronConsoles> {
  const proxy = new ConsoleProxy({ ...helperConsoleDeps(helper), openRemote: remoteConsoleOpener() });
  const token = randomBytes(32).toString('base64url');
  const server = new ConsoleProxyServer(proxy, { allowedOrigin: APP_ORIGIN, token });
  await server.listen();
  return {
    server,
    token,
    close: async () => {
      proxy.close();
      await server.close();
    },
  };
}

/**
 * Our pages may also connect to the proxy's one origin (token-guarded, 127.0.0.1): the
 * console window for VNC, the main window for the serial console and capsule terminals.
 */
export function cspFor(consoles: ElectronConsoles | null): string {
  if (!consoles) return RENDERER_CSP;
  return RENDERER_CSP.replace("connect-src 'self'", `connect-src 'self' ${consoles.server.base}`);
}

/** Only our console page may open, sandboxed like the main window and with the same preload. */
export function consoleWindowOpen(url: string, preloadPath: string): WindowOpenHandlerResponse {
  const parsed = parseOurUrl(url);
  if (!parsed || parsed.pathname !== '/console.html' || parsed.search !== '') return { action: 'deny' };
  return { action: 'allow', overrideBrowserWindowOptions: consoleWindowOptions(preloadPath) };
}

/** The tray's "Open console": the same page and options as the window the app opens itself. */
export function openConsoleWindow(vmName: string, preloadPath: string): BrowserWindow {
  const win = new BrowserWindow(consoleWindowOptions(preloadPath));
  showWhenLoaded(win);
  void win.loadURL(`${CONSOLE_PAGE}#${encodeURIComponent(vmName)}`);
  return win;
}

function consoleWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1040,
    height: 820,
    show: false,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath),
  };
}
