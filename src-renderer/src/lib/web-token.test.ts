import { describe, expect, it } from 'vitest';
import { forgetToken, keepToken, takeUrlToken, tokenFromPaste, urlWithoutToken, webToken } from './web-token.js';

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

function fakeStorage(stored: Record<string, string> = {}) {
  const items = new Map(Object.entries(stored));
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

/** A window with an address bar, a sessionStorage of its own and the origin's localStorage. */
function fakeWindow(href: string, stored: Record<string, string> = {}, remembered: Record<string, string> = {}) {
  const win = {
    location: { href },
    history: {
      state: null,
      replaceState: (_state: unknown, _title: string, url: string) => {
        win.location.href = new URL(url, win.location.href).href;
      },
    },
    sessionStorage: fakeStorage(stored),
    localStorage: fakeStorage(remembered),
  };
  return win as unknown as Window & { location: { href: string }; sessionStorage: ReturnType<typeof fakeStorage>; localStorage: ReturnType<typeof fakeStorage> };
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

describe('remembering the token', () => {
  it('keeps it for the tab only unless asked to remember it on this computer', () => {
    const win = fakeWindow('http://127.0.0.1:7420/');
    keepToken(win, 'abc', false);
    expect(win.localStorage.items.size).toBe(0);
    expect(webToken(win)).toBe('abc');
    keepToken(win, 'abc', true);
    expect(win.localStorage.items.get('nova.webToken')).toBe('abc');
  });

  it('finds a remembered token after a browser restart (an empty tab), and forgets it', () => {
    const win = fakeWindow('http://127.0.0.1:7420/#/vms', {}, { 'nova.webToken': 'kept' });
    expect(takeUrlToken(win)).toBe('kept');
    forgetToken(win);
    expect(webToken(win)).toBeNull();
  });

  it('updates a remembered token from a newer address, and never starts remembering by itself', () => {
    const remembered = fakeWindow('http://127.0.0.1:7420/?token=new', {}, { 'nova.webToken': 'old' });
    expect(takeUrlToken(remembered)).toBe('new');
    expect(remembered.localStorage.items.get('nova.webToken')).toBe('new');
    const plain = fakeWindow('http://127.0.0.1:7420/?token=new');
    takeUrlToken(plain);
    expect(plain.localStorage.items.size).toBe(0);
  });
});

describe('tokenFromPaste', () => {
  it('takes the token itself or out of the printed address', () => {
    expect(tokenFromPaste('  abc_D-9 ')).toBe('abc_D-9');
    expect(tokenFromPaste('http://127.0.0.1:7420/?token=xyz')).toBe('xyz');
    expect(tokenFromPaste('http://127.0.0.1:7420/')).toBeNull();
    expect(tokenFromPaste('not a token')).toBeNull();
  });
});
