// A stand-in for the `electron` module in plain Node (Electron's binary cannot run on
// these machines): the part of its API that src-main/electron uses, recording every
// call so tests can check what the real one would have been told. Tests load it with
// vi.mock('electron', ...) and reset it between cases with resetFakeElectron().
import { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => unknown;

/** Electron's events carry preventDefault; the fake remembers whether it was called. */
export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
  [key: string]: unknown;
}

export function fakeEvent(fields: Record<string, unknown> = {}): FakeEvent {
  const event: FakeEvent = {
    ...fields,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

export class FakeFrame {
  constructor(public url: string) {}
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = new FakeFrame('about:blank');
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  private destroyed = false;

  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('destroyed');
  }
  /** Test side: the page finished loading its URL. */
  finishLoad(): void {
    this.emit('did-finish-load');
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly calls: string[] = [];
  loadedUrl: string | null = null;
  private visible: boolean;
  private destroyed = false;
  private minimized = false;
  private focused = false;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    this.visible = options.show !== false;
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.calls.push('show');
    this.visible = true;
    this.minimized = false;
  }
  hide(): void {
    this.calls.push('hide');
    this.visible = false;
  }
  focus(): void {
    this.calls.push('focus');
    this.focused = true;
  }
  blur(): void {
    this.focused = false;
  }
  isFocused(): boolean {
    return this.focused && this.visible;
  }
  restore(): void {
    this.calls.push('restore');
    this.minimized = false;
  }
  minimize(): void {
    this.minimized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** As a user closing it: 'close' may be prevented; otherwise it is destroyed. */
  close(): void {
    if (this.destroyed) return;
    const event = fakeEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.webContents.destroy();
    BrowserWindow.all.splice(BrowserWindow.all.indexOf(this), 1);
    this.emit('closed');
    if (BrowserWindow.all.length === 0) app.emit('window-all-closed');
  }
}

class FakeApp extends EventEmitter {
  singleInstanceLockFree = true;
  quitCalls = 0;
  isPackaged = false;

  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLockFree;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  /** As Electron: before-quit, every window closed, then will-quit. */
  quit(): void {
    this.quitCalls++;
    const before = fakeEvent();
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    for (const win of [...BrowserWindow.all]) win.close();
    if (BrowserWindow.all.length > 0) return;
    this.emit('will-quit', fakeEvent());
  }
}

export const app = new FakeApp();

export const ipcMain = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  handle(channel: string, fn: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, fn);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
};

export const session = {
  defaultSession: {
    permissionRequestHandler: null as Listener | null,
    permissionCheckHandler: null as Listener | null,
    setPermissionRequestHandler(fn: Listener) {
      this.permissionRequestHandler = fn;
    },
    setPermissionCheckHandler(fn: Listener) {
      this.permissionCheckHandler = fn;
    },
  },
};

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, fn: (request: Request) => Promise<Response>): void {
    this.handlers.set(scheme, fn);
  },
};

export const nativeTheme = { shouldUseDarkColors: false };

export const nativeImage = {
  createFromPath: (path: string) => ({ path }),
};

export const dialog = {
  errors: [] as Array<{ title: string; content: string }>,
  showErrorBox(title: string, content: string): void {
    this.errors.push({ title, content });
  },
};

export interface FakeMenu {
  readonly template: ReadonlyArray<Record<string, unknown>>;
}

export const Menu = {
  buildFromTemplate: (template: Array<Record<string, unknown>>): FakeMenu => ({ template }),
};

export class Tray {
  static readonly all: Tray[] = [];
  readonly menus: FakeMenu[] = [];
  tooltip = '';
  private destroyed = false;

  constructor(readonly icon: unknown) {
    Tray.all.push(this);
  }
  setContextMenu(menu: FakeMenu): void {
    this.menus.push(menu);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export function resetFakeElectron(): void {
  for (const win of [...BrowserWindow.all]) win.removeAllListeners();
  BrowserWindow.all.length = 0;
  app.removeAllListeners();
  app.singleInstanceLockFree = true;
  app.quitCalls = 0;
  ipcMain.handlers.clear();
  session.defaultSession.permissionRequestHandler = null;
  session.defaultSession.permissionCheckHandler = null;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  dialog.errors.length = 0;
  Tray.all.length = 0;
}
