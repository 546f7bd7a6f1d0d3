// Web mode's access token. `nova web` prints `/?token=…`; the page moves the token into
// this tab's sessionStorage, which only the page's own origin (port included) can read,
// unlike a cookie, which the browser would send to every port of 127.0.0.1. The token
// leaves the address bar (history, screenshots, shoulder-surfing) and travels only with
// the page's WebSockets (src-shared/wire/web-protocol.ts).
// sessionStorage rather than localStorage: it ends with the tab, so a page that another
// program serves on the same port later, in another tab, never finds it. A console window
// the page opens starts with a copy of it. Harmless in Electron, where there is no token.

const STORAGE_KEY = 'nova.webToken';

/** The same-document URL without its `token` parameter, or null when there is none. */
export function urlWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return null;
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The token this tab keeps, or null (none yet, or storage disabled). */
export function webToken(win: Pick<Window, 'sessionStorage'>): string | null {
  try {
    return win.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Keeps a token from the address (replacing an older one), drops it from there, returns the kept one. */
export function takeUrlToken(win: Pick<Window, 'location' | 'history' | 'sessionStorage'>): string | null {
  const fromUrl = new URL(win.location.href).searchParams.get('token');
  if (fromUrl) {
    try {
      win.sessionStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage disabled: the token still works for this load, not after a reload.
      return fromUrl;
    } finally {
      const clean = urlWithoutToken(win.location.href);
      if (clean !== null) win.history.replaceState(win.history.state, '', clean);
    }
  }
  return webToken(win);
}
