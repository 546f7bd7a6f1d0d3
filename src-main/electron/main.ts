// Electron entry: the only place that knows about Electron. Everything it wires
// (helper client, handlers, events) comes from src-main/core, shared with the CLI
// and web mode. Native Wayland is Electron's default; no ozone flags are set.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog } from 'electron';
import { DEFAULT_HELPER_SOCKET, DEFAULT_STATE_DIR, NOVA_VERSION } from '../../src-shared/index.js';
import { EventHub } from '../core/event-hub.js';
import { HelperClient } from '../core/helper-client.js';
import { ensureHelper } from '../core/helper-launcher.js';
import { savedHostPool } from '../core/hosts/saved-host-pool.js';
import { NovaApiHandlers } from '../core/nova-api-handlers.js';
import { DesktopNotifier } from '../desktop/desktop-notifier.js';
import { TrayHostWatch } from '../desktop/tray-host-watch.js';
import { cspFor, startConsoleProxy } from './console-window.js';
import { runDesktopApp, type DesktopServices } from './desktop-app.js';
import { preloadPathBeside } from './main-window.js';

const here = dirname(fileURLToPath(import.meta.url));
const socketPath = process.env.NOVA_SOCKET ?? DEFAULT_HELPER_SOCKET;
const stateDir = process.env.NOVA_STATE_DIR ?? DEFAULT_STATE_DIR;

async function startServices(): Promise<DesktopServices> {
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
  const pool = savedHostPool((e) => events.publish(e));
  const handlers = new NovaApiHandlers({
    helper,
    pool,
    mode: 'electron',
    version: NOVA_VERSION,
    publish: (e) => events.publish(e),
    consoleEndpoint: consoles ? () => ({ base: consoles.server.base, token: consoles.token }) : undefined,
  });
  return {
    handlers,
    events,
    csp: cspFor(consoles),
    close: () => {
      void consoles?.close();
      events.dispose();
      pool.close();
      helper.close();
    },
  };
}

void runDesktopApp({
  preloadPath: preloadPathBeside(here),
  rendererDir: join(here, '../renderer'),
  // Packaged builds carry the icon among their resources; a checkout runs from out/main.
  trayIconPath: app.isPackaged
    ? join(process.resourcesPath, 'icons/nova-tray.png')
    : join(here, '../../resources/icons/nova-tray.png'),
  startServices,
  watchTrayHost: () => new TrayHostWatch().start(),
  startNotifier: () => new DesktopNotifier().start(),
});
