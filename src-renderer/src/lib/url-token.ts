// Web mode opens at `/?token=…`; the server trades the token for an HttpOnly cookie on
// that first response, so the token can leave the address bar (history, screenshots,
// shoulder-surfing) without breaking reloads. Harmless where there is no token.

/** The same-document URL without its `token` parameter, or null when there is none. */
export function urlWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return null;
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

export function forgetUrlToken(win: Pick<Window, 'location' | 'history'>): void {
  const clean = urlWithoutToken(win.location.href);
  if (clean !== null) win.history.replaceState(win.history.state, '', clean);
}
