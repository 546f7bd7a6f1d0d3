// Hardening shared by every window: our own origin only, no permissions, no new
// windows, no webviews, IPC accepted only from our main frame.
import { app, session, type IpcMainInvokeEvent, type WebContents, type WebPreferences, type WindowOpenHandlerResponse } from 'electron';

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
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

export function isOurUrl(url: string): boolean {
  try {
    return new URL(url).origin === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** IPC is answered only for our origin's main frame, never an iframe or a foreign page. */
export function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  return frame === event.sender.mainFrame && isOurUrl(frame.url);
}

/** `openWindow` decides window.open (the VM console window); everything else is denied. */
export function installSecurityPolicies(openWindow?: (url: string) => WindowOpenHandlerResponse): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isOurUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isOurUrl(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => openWindow?.(url) ?? { action: 'deny' });
  });
}
