import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDesktopSession, detectSession } from './desktop-session.js';
import { FakeHost } from './testing/fake-host.js';

const environ = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `${k}=${v}\0`).join('');

describe('session detection', () => {
  it('believes XDG_SESSION_TYPE first, then the display variables', () => {
    expect(detectSession(new Map([['XDG_SESSION_TYPE', 'wayland'], ['DISPLAY', ':0']]))).toBe('wayland');
    expect(detectSession(new Map([['XDG_SESSION_TYPE', 'x11'], ['WAYLAND_DISPLAY', 'wayland-0']]))).toBe('x11');
    expect(detectSession(new Map([['WAYLAND_DISPLAY', 'wayland-0']]))).toBe('wayland');
    expect(detectSession(new Map([['DISPLAY', 'localhost:10.0']]))).toBe('x11');
    expect(detectSession(new Map([['XDG_SESSION_TYPE', 'tty']]))).toBe('none');
  });
});

describe('the session item', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => host.dispose());

  it('reads the caller environ, quoting only the three session variables', async () => {
    await host.file(
      '/proc/4242/environ',
      environ({ HOME: '/home/ana', XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0', GITHUB_TOKEN: 'secret' }),
    );
    await host.file('/proc/self/environ', environ({ PATH: '/usr/bin' }));
    const item = await checkDesktopSession(host.env(), 4242);
    expect(item.status).toBe('ok');
    expect(item.summary).toBe('Wayland (caller (pid 4242))');
    expect(item.evidence[0]).toBe('/proc/4242/environ: XDG_SESSION_TYPE=wayland WAYLAND_DISPLAY=wayland-0 DISPLAY=:0');
    expect(item.evidence).toContain('XWayland available (DISPLAY is set)');
    expect(item.evidence.join('\n')).not.toMatch(/secret|HOME/);
  });

  it('detects X11 for an X11 caller', async () => {
    await host.file('/proc/77/environ', environ({ XDG_SESSION_TYPE: 'x11', DISPLAY: ':1' }));
    const item = await checkDesktopSession(host.env(), 77);
    expect(item.summary).toMatch(/^X11/);
  });

  it('uses the helper own environment without a caller, and warns when there is no session', async () => {
    await host.file('/proc/self/environ', environ({ PATH: '/usr/bin' }));
    const item = await checkDesktopSession(host.env());
    expect(item.status).toBe('warn');
    expect(item.summary).toMatch(/None: the helper has no Wayland or X11 session/);
    expect(item.evidence[0]).toMatch(/^\/proc\/self\/environ: XDG_SESSION_TYPE=\(unset\)/);
  });

  it('warns when the caller has gone away', async () => {
    const item = await checkDesktopSession(host.env(), 99999);
    expect(item.status).toBe('warn');
    expect(item.evidence[0]).toMatch(/\/proc\/99999\/environ: unreadable/);
  });
});
