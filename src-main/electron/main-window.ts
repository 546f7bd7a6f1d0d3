// The one app window: sandboxed, isolated, no Node. Shown on did-finish-load because
// ready-to-show may never fire on Wayland.
import { join } from 'node:path';
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_ORIGIN, secureWebPreferences, showWhenLoaded } from './security.js';

/** The app page, opened at `page` (a hash such as "#/vms/web") when given. */
export function mainWindowUrl(page = ''): string {
  return `${APP_ORIGIN}/index.html${page}`;
}

export function createMainWindow(preloadPath: string, page?: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Nova',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#f6f7f9',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath),
  });
  showWhenLoaded(win);
  void win.loadURL(mainWindowUrl(page));
  return win;
}

export function preloadPathBeside(mainDir: string): string {
  return join(mainDir, '../preload/index.cjs');
}
