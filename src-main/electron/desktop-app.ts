// The app's lifecycle in Electron: one instance, one main window, the tray when the
// desktop has a tray host, and a quit that closes only Nova's UI. The helper, and the
// VMs and capsules it owns, keep running: quitting closes main's connection to it and
// calls nothing on it. Services (helper client, handlers, events) come from main.ts, so
// tests run all of this against a fake `electron` with fake services.
import { app, type BrowserWindow } from 'electron';
import type { CapsuleExit } from '../../src-shared/capsule.js';
import type { NovaEvent } from '../../src-shared/index.js';
import type { DesktopNotifier } from '../desktop/desktop-notifier.js';
import { needsCapsuleExit, notificationFor, notificationForRefusal, resourcePageHash, type NotificationContext } from '../desktop/notification-rules.js';
import { trayMenu, type TrayAction } from '../desktop/tray-menu.js';
import { traySourceFrom, TrayStateFeed } from '../desktop/tray-state-feed.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { consoleWindowOpen, openConsoleWindow } from './console-window.js';
import { bindIpc, type IpcEvents, type IpcHandlers } from './ipc-bridge.js';
import { createMainWindow, mainWindowUrl } from './main-window.js';
import { installSecurityPolicies, TrustedWindows } from './security.js';
import { NovaTray } from './tray.js';

export interface DesktopServices {
  readonly handlers: IpcHandlers;
  readonly events: IpcEvents;
  /** The renderer's CSP (widened to the console proxy when there is one). */
  readonly csp: string;
  /** Closes main's own connections and proxies; never stops the helper or a guest. */
  close(): void;
}

/** Whether the desktop shows tray icons (TrayHostWatch, or a fake in tests). */
export interface TrayHost {
  readonly ready: Promise<void>;
  readonly hostPresent: boolean;
  onChange(listener: (present: boolean) => void): () => void;
  close(): void;
}

export type Notifier = Pick<DesktopNotifier, 'notify' | 'onAction' | 'close'>;

export interface DesktopAppOptions {
  preloadPath: string;
  rendererDir: string;
  trayIconPath: string;
  startServices(): Promise<DesktopServices>;
  watchTrayHost(): TrayHost;
  startNotifier(): Notifier;
}

/** How long the first window waits to learn whether there is a tray host. */
const TRAY_HOST_WAIT_MS = 1_500;

/** A capsule that ended is notified with why: its last exit, read from the helper. */
async function contextFor(services: DesktopServices, event: NovaEvent): Promise<NotificationContext> {
  if (!needsCapsuleExit(event)) return {};
  const reply = await services.handlers.invoke('capsule.get', { name: event.payload.name }).catch(() => null);
  return { capsuleExit: reply?.ok ? (reply.value as { lastExit: CapsuleExit | null }).lastExit : null };
}

/** Resolves once the app is running (or at once when another instance has it). */
export async function runDesktopApp(options: DesktopAppOptions): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    // The first instance hears 'second-instance' and comes to the front.
    app.quit();
    return;
  }
  registerAppScheme();
  const trusted = new TrustedWindows();
  let win: BrowserWindow | null = null;
  let quitting = false;
  let tray: { view: NovaTray; feed: TrayStateFeed } | null = null;
  let services: DesktopServices | null = null;
  let notifier: Notifier | null = null;

  /** `page`: a hash such as "#/vms/web" to show, from a notification's "Open". */
  const showMain = (page?: string) => {
    if (!services) return; // before 'ready' the window is on its way anyway
    if (!win) {
      win = openMainWindow(page); // it shows itself once loaded
      return;
    }
    // Only the fragment changes: the renderer follows it without reloading.
    if (page) void win.loadURL(mainWindowUrl(page));
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const openMainWindow = (page?: string): BrowserWindow => {
    const created = createMainWindow(options.preloadPath, page);
    trusted.trust(created);
    created.on('close', (e) => {
      // With a tray, closing hides: the tray brings it back. Without one it would be lost.
      if (tray && !quitting) {
        e.preventDefault();
        created.hide();
      }
    });
    created.on('closed', () => {
      if (win === created) win = null;
    });
    return created;
  };

  const dispatch = (action: TrayAction) => {
    switch (action.kind) {
      case 'show':
      case 'project.up':
      case 'project.down': // projects reach the tray model before main tracks them: the window has them
        showMain();
        return;
      case 'quit':
        app.quit();
        return;
      case 'vm.openConsole':
        openConsole(action.name);
        return;
      default: {
        const [kind, verb] = action.kind.split('.') as ['vm' | 'capsule', string];
        void services?.handlers.invoke(action.kind, { name: action.name }).then((reply) => {
          if (!reply.ok) void notifier?.notify(notificationForRefusal(verb, { kind, name: action.name }, reply.error.message));
        });
      }
    }
  };

  const openConsole = (name: string) => trusted.trust(openConsoleWindow(name, options.preloadPath));
  const userLooking = () => win !== null && win.isVisible() && win.isFocused();

  const setTrayHost = (present: boolean) => {
    if (present && !tray && services) {
      const view = new NovaTray(options.trayIconPath, dispatch);
      const feed = new TrayStateFeed(traySourceFrom(services.handlers, services.events), (state) => view.render(trayMenu(state)));
      view.render(trayMenu({ vms: [], capsules: [] }));
      tray = { view, feed };
    } else if (!present && tray) {
      tray.feed.close();
      tray.view.destroy();
      tray = null;
      // A hidden window with no tray to bring it back would leave Nova unreachable.
      if (win && !win.isVisible() && !quitting) showMain();
    }
  };

  app.on('second-instance', () => showMain());
  app.on('before-quit', () => {
    quitting = true;
  });

  await app.whenReady();
  installSecurityPolicies({
    openWindow: (url) => consoleWindowOpen(url, options.preloadPath),
    onWindowOpened: (child) => trusted.trust(child),
  });
  services = await options.startServices();
  const running = services;
  serveRenderer(options.rendererDir, running.csp);
  const unbind = bindIpc(running.handlers, running.events, () => win, trusted);
  const host = options.watchTrayHost();
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([host.ready, new Promise((resolve) => (waited = setTimeout(resolve, TRAY_HOST_WAIT_MS)))]);
  clearTimeout(waited);
  setTrayHost(host.hostPresent);
  const unwatch = host.onChange(setTrayHost);
  const notifying = options.startNotifier();
  notifier = notifying;
  const unnotify = running.events.subscribe((event) => {
    // Whether the user looked when it happened, not once the lookup is back.
    const looking = userLooking();
    void contextFor(running, event).then((context) => {
      const notification = notificationFor(event, looking, context);
      if (notification) void notifying.notify(notification);
    });
  });
  // "Open" brings the window on the resource's page; "Open console" opens the console.
  notifying.onAction((target, key) => (key === 'console' && target.kind === 'vm' ? openConsole(target.name) : showMain(resourcePageHash(target))));
  showMain();

  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.once('will-quit', () => {
    unwatch();
    host.close();
    unnotify();
    notifying.close();
    setTrayHost(false);
    unbind();
    running.close();
  });
}
