// Picks the transport once at start-up: the preload defines `window.nova` only inside
// Electron, so its presence is the whole test. Nothing else in the UI asks which.
import { WEB_API_PROTOCOL, WEB_SOCKET_PATH, webSocketProtocols, type NovaWindowApi } from '../../../src-shared/index.js';
import { webToken } from '../lib/web-token.js';
import { ElectronTransport } from './electron-transport.js';
import type { Transport } from './transport.js';
import { WebTransport, webSocketUrl } from './web-transport.js';

declare global {
  interface Window {
    /** Set by the preload in Electron; absent in a browser (web mode). */
    readonly nova?: NovaWindowApi;
  }
}

export function selectTransport(win: Window): Transport {
  if (win.nova) return new ElectronTransport(win.nova);
  return new WebTransport({
    url: webSocketUrl(win.location, WEB_SOCKET_PATH),
    protocols: webSocketProtocols(webToken(win), [WEB_API_PROTOCOL]),
  });
}
