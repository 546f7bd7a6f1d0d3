// Electron entry: the only place that knows about Electron. Everything it wires
// (helper client, handlers, events) comes from src-main/core, shared with the CLI
// and web mode. Native Wayland is Electron's default; no ozone flags are set.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, type BrowserWindow } from 'electron';
import { DEFAULT_HELPER_SOCKET, DEFAULT_STATE_DIR, NOVA_VERSION } from '../../src-shared/index.js';
import { EventHub } from '../core/event-hub.js';
import { HelperClient } from '../core/helper-client.js';
import { ensureHelper } from '../core/helper-launcher.js';
import { NovaApiHandlers } from '../core/nova-api-handlers.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { consoleWindowOpen, cspFor, startConsoleProxy } from './console-window.js';
import { bindIpc } from './ipc-bridge.js';
import { createMainWindow, preloadPathBeside } from './main-window.js';
import { installSecurityPolicies } from './security.js';

const here = dirname(fileURLToPath(import.meta.url));
const socketPath = process.env.NOVA_SOCKET ?? DEFAULT_HELPER_SOCKET;
const stateDir = process.env.NOVA_STATE_DIR ?? DEFAULT_STATE_DIR;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  let win: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  void app.whenReady().then(async () => {
    installSecurityPolicies((url) => consoleWindowOpen(url, preloadPathBeside(here)));
    try {
      await ensureHelper({ socketPath, stateDir, helperScript: join(here, '../helper/nova-helper.mjs') });
    } catch (err) {
      // The window still opens; it shows the helper as disconnected and keeps retrying.
      dialog.showErrorBox('Nova helper not started', (err as Error).message);
    }
    const helper = new HelperClient({ socketPath, reconnect: true });
    helper.start();
    const events = new EventHub(helper);
    const consoles = await startConsoleProxy(helper).catch(() => null);
    serveRenderer(join(here, '../renderer'), cspFor(consoles));
    const handlers = new NovaApiHandlers({
      helper,
      mode: 'electron',
      version: NOVA_VERSION,
      consoleEndpoint: consoles ? () => ({ base: consoles.server.base, token: consoles.token }) : undefined,
    });
    const unbind = bindIpc(handlers, events, () => win);
    win = createMainWindow(preloadPathBeside(here));
    win.on('closed', () => {
      win = null;
    });
    app.on('window-all-closed', () => {
      unbind();
      void consoles?.close();
      events.dispose();
      helper.close();
      app.quit();
    });
  });
}
