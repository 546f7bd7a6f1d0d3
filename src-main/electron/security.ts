// Hardening shared by every window: our own origin only, no permissions, no webviews,
// window.open only for the console page, IPC accepted only from the main frame of a
// window we made ourselves.
import {
  app,
  session,
  type BrowserWindow,
  type IpcMainInvokeEvent,
  type WebContents,
  type WebPreferences,
  type WindowOpenHandlerResponse,
} from 'electron';

export const APP_SCHEME = 'nova';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every window of ours: sandboxed, isolated, no Node anywhere, only our preload. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
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
}

/**
 * Our URL, parsed, or null. Compared by scheme and host because Node's URL (which main
 * uses) reports the origin of a non-special scheme such as nova: as "null": an origin
 * comparison would refuse even our own pages.
 */
export function parseOurUrl(url: string): URL | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const ours = parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'app' && !parsed.username && !parsed.password;
  return ours ? parsed : null;
}

export function isOurUrl(url: string): boolean {
  return parseOurUrl(url) !== null;
}

/**
 * The windows Nova made (the main window, console windows): a page that some other path
 * managed to open, even on our origin, gets no IPC answers.
 */
export class TrustedWindows {
  private readonly ids = new Set<number>();

  trust(win: BrowserWindow): void {
    const contents = win.webContents;
    const id = contents.id;
    this.ids.add(id);
    contents.once('destroyed', () => this.ids.delete(id));
  }

  has(contents: WebContents): boolean {
    return this.ids.has(contents.id);
  }
}

/** IPC is answered only for the main frame of a trusted window showing our origin, never an iframe or a foreign page. */
export function isTrustedSender(event: IpcMainInvokeEvent, trusted: TrustedWindows): boolean {
  const frame = event.senderFrame;
  if (!frame || !trusted.has(event.sender)) return false;
  return frame === event.sender.mainFrame && isOurUrl(frame.url);
}

/** Ready-to-show may never fire on Wayland; every window of ours appears once its page has loaded. */
export function showWhenLoaded(win: BrowserWindow): void {
  win.webContents.once('did-finish-load', () => {
    if (!win.isDestroyed()) win.show();
  });
}

export interface SecurityPolicyOptions {
  /** Decides window.open (the VM console window); without it, or when it says no, the window is denied. */
  openWindow?: (url: string) => WindowOpenHandlerResponse;
  /** Each window that openWindow allowed, once it exists. */
  onWindowOpened?: (win: BrowserWindow) => void;
}

export function installSecurityPolicies(options: SecurityPolicyOptions = {}): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (e) => {
      if (!isOurUrl(e.url)) e.preventDefault();
    });
    // will-navigate covers only the main frame; a subframe could still be sent elsewhere.
    contents.on('will-frame-navigate', (e) => {
      if (!isOurUrl(e.url)) e.preventDefault();
    });
    contents.on('will-redirect', (e) => {
      if (!isOurUrl(e.url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => options.openWindow?.(url) ?? { action: 'deny' });
    contents.on('did-create-window', (win) => {
      showWhenLoaded(win);
      options.onWindowOpened?.(win);
    });
  });
}
