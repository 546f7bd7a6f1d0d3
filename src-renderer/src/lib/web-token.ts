// Web mode's access token. `nova web` prints `/?token=…`; the page moves the token into
// this tab's sessionStorage, which only the page's own origin (port included) can read,
// unlike a cookie, which the browser would send to every port of 127.0.0.1 (and which
// issue 12's guarantee rules out). The token leaves the address bar (history,
// screenshots, shoulder-surfing) and travels only with the page's WebSockets
// (src-shared/wire/web-protocol.ts).
// sessionStorage by default: it ends with the tab, so a page that another program serves
// on the same port later, in another tab, never finds it. Only when the person ticks
// "remember on this computer" (the token page) does it also go to localStorage, still
// readable by this origin alone, so a browser restart or a bookmark opens Nova again;
// forgetting removes it. A console window the page opens starts with a copy of the tab's.
// Harmless in Electron, where there is no token.

const STORAGE_KEY = 'nova.webToken';

type TokenWindow = Pick<Window, 'sessionStorage'> & Partial<Pick<Window, 'localStorage'>>;

/** The same-document URL without its `token` parameter, or null when there is none. */
export function urlWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return null;
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

function read(storage: Storage | undefined): string | null {
  try {
    return storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

/** The token this tab keeps, else the one remembered on this computer, or null. */
export function webToken(win: TokenWindow): string | null {
  return read(win.sessionStorage) ?? read(win.localStorage);
}

/** Whether a token is remembered across browser restarts. */
export function isTokenRemembered(win: TokenWindow): boolean {
  return read(win.localStorage) !== null;
}

/**
 * Keeps `token` for this tab and, when `remember`, on this computer too (removing a
 * remembered one otherwise). False when storage is off: the token then works for this load only.
 */
export function keepToken(win: TokenWindow, token: string, remember: boolean): boolean {
  try {
    win.sessionStorage.setItem(STORAGE_KEY, token);
    if (remember) win.localStorage?.setItem(STORAGE_KEY, token);
    else win.localStorage?.removeItem(STORAGE_KEY);
    return true;
  } catch {
    return false;
  }
}

/** Drops the token from this tab and from this computer (one that no longer opens Nova). */
export function forgetToken(win: TokenWindow): void {
  try {
    win.sessionStorage.removeItem(STORAGE_KEY);
    win.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Storage off: nothing was kept.
  }
}

/** The token in something pasted: the token itself, or the whole address `nova web` printed. */
export function tokenFromPaste(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (/^https?:\/\//.test(trimmed)) {
    try {
      return new URL(trimmed).searchParams.get('token');
    } catch {
      return null;
    }
  }
  return /^[A-Za-z0-9_-]+$/.test(trimmed) ? trimmed : null;
}

/** Keeps a token from the address (replacing an older one), drops it from there, returns the kept one. */
export function takeUrlToken(win: TokenWindow & Pick<Window, 'location' | 'history'>): string | null {
  const fromUrl = new URL(win.location.href).searchParams.get('token');
  if (fromUrl) {
    const clean = urlWithoutToken(win.location.href);
    if (clean !== null) win.history.replaceState(win.history.state, '', clean);
    // A newer address replaces a remembered token only where one was remembered: the choice stays the person's.
    if (!keepToken(win, fromUrl, isTokenRemembered(win))) return fromUrl;
  }
  return webToken(win);
}
