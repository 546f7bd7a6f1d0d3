import { describe, expect, it } from 'vitest';
import { takeUrlToken, urlWithoutToken, webToken } from './web-token.js';

describe('urlWithoutToken', () => {
  it('drops only the token and keeps path, other params and the route hash', () => {
    expect(urlWithoutToken('http://127.0.0.1:7420/?token=abc#/vms')).toBe('/#/vms');
    expect(urlWithoutToken('http://127.0.0.1:7420/index.html?x=1&token=abc')).toBe('/index.html?x=1');
  });

  it('leaves URLs without a token alone', () => {
    expect(urlWithoutToken('http://127.0.0.1:7420/#/host')).toBeNull();
    expect(urlWithoutToken('app://nova/index.html')).toBeNull();
  });
});

/** A window with an address bar and a sessionStorage of its own. */
function fakeWindow(href: string, stored: Record<string, string> = {}) {
  const items = new Map(Object.entries(stored));
  const win = {
    location: { href },
    history: {
      state: null,
      replaceState: (_state: unknown, _title: string, url: string) => {
        win.location.href = new URL(url, win.location.href).href;
      },
    },
    sessionStorage: {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    },
  };
  return win as unknown as Window & { location: { href: string } };
}

describe('takeUrlToken', () => {
  it('keeps the token from the address in the tab, and takes it out of the address', () => {
    const win = fakeWindow('http://127.0.0.1:7420/?token=abc#/vms');
    expect(takeUrlToken(win)).toBe('abc');
    expect(win.location.href).toBe('http://127.0.0.1:7420/#/vms');
    expect(webToken(win)).toBe('abc');
  });

  it('finds the kept token after a reload, and a new address replaces it', () => {
    const win = fakeWindow('http://127.0.0.1:7420/#/host', { 'nova.webToken': 'old' });
    expect(takeUrlToken(win)).toBe('old');
    win.location.href = 'http://127.0.0.1:7420/?token=new';
    expect(takeUrlToken(win)).toBe('new');
  });

  it('has none when neither the address nor the tab holds one', () => {
    expect(takeUrlToken(fakeWindow('http://127.0.0.1:7420/'))).toBeNull();
  });
});
