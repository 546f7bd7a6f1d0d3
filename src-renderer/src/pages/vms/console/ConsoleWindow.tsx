// The graphical console of one VM through noVNC, over main's console proxy. The VNC
// password comes from `vm.consoleInfo` (never from the URL). "Fullscreen and capture
// keys" uses the Keyboard Lock API, which holds the compositor's shortcuts only in
// HTML fullscreen; in a window, the send-keys menu delivers Ctrl+Alt+Del and friends.
// The USB menu plugs host devices into the running guest (ConsoleUsbMenu.tsx).
import RFB from '@novnc/novnc';
import { Expand, Keyboard, MonitorPlay, RotateCw } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { consoleSocket } from '../../../lib/console-socket.js';
import type { NovaClient } from '../../../transport/nova-client.js';
import { ConsoleUsbMenu } from './ConsoleUsbMenu.js';

type Link = { state: 'connecting' } | { state: 'connected' } | { state: 'closed'; reason: string };

/** X11 keysyms and DOM codes for the keys a window cannot pass through. */
const K = {
  ctrl: [0xffe3, 'ControlLeft'],
  alt: [0xffe9, 'AltLeft'],
  del: [0xffff, 'Delete'],
  super: [0xffeb, 'MetaLeft'],
  backspace: [0xff08, 'Backspace'],
  tab: [0xff09, 'Tab'],
  print: [0xff61, 'PrintScreen'],
  f1: [0xffbe, 'F1'],
  f2: [0xffbf, 'F2'],
  f7: [0xffc4, 'F7'],
} as const satisfies Record<string, readonly [number, string]>;
type KeyName = keyof typeof K;

const COMBOS: Array<{ label: string; keys: KeyName[] }> = [
  { label: 'Ctrl+Alt+Del', keys: ['ctrl', 'alt', 'del'] },
  { label: 'Super', keys: ['super'] },
  { label: 'Alt+Tab', keys: ['alt', 'tab'] },
  { label: 'Ctrl+Alt+Backspace', keys: ['ctrl', 'alt', 'backspace'] },
  { label: 'Ctrl+Alt+F1', keys: ['ctrl', 'alt', 'f1'] },
  { label: 'Ctrl+Alt+F2', keys: ['ctrl', 'alt', 'f2'] },
  { label: 'Ctrl+Alt+F7', keys: ['ctrl', 'alt', 'f7'] },
  { label: 'Print Screen', keys: ['print'] },
];

interface KeyboardLock {
  lock(keys?: string[]): Promise<void>;
  unlock(): void;
}

export function ConsoleWindow({ client, name }: { client: NovaClient; name: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [link, setLink] = useState<Link>({ state: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    document.title = `${name} · Console · Nova`;
    const target = screen.current;
    if (!target) return;
    let disposed = false;
    setLink({ state: 'connecting' });
    void (async () => {
      try {
        const info = await client.call('vm.consoleInfo', { name });
        if (!info.vnc) throw new Error(`${name} has no VNC display`);
        const socket = await consoleSocket(client, 'vnc', name, window);
        if (disposed) return;
        const conn = new RFB(target, socket.url, { credentials: { password: info.vnc.password }, wsProtocols: socket.protocols });
        conn.scaleViewport = true;
        conn.focusOnClick = true;
        conn.background = 'transparent';
        conn.addEventListener('connect', () => {
          setLink({ state: 'connected' });
          conn.focus();
        });
        conn.addEventListener('disconnect', (e) => {
          const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
          if (!disposed) setLink({ state: 'closed', reason: clean ? 'the VM closed the display (it stopped?)' : 'the connection was lost' });
        });
        conn.addEventListener('securityfailure', (e) => {
          const reason = (e as CustomEvent<{ reason?: string }>).detail?.reason;
          if (!disposed) setLink({ state: 'closed', reason: `VNC refused the password${reason ? `: ${reason}` : ''}; restart the VM to renew it` });
        });
        rfb.current = conn;
      } catch (err) {
        if (!disposed) setLink({ state: 'closed', reason: (err as Error).message });
      }
    })();
    return () => {
      disposed = true;
      rfb.current?.disconnect();
      rfb.current = null;
    };
  }, [client, name, attempt]);

  const send = (keys: KeyName[]) => {
    const conn = rfb.current;
    if (!conn) return;
    for (const k of keys) conn.sendKey(K[k][0], K[k][1], true);
    for (const k of [...keys].reverse()) conn.sendKey(K[k][0], K[k][1], false);
    setMenuOpen(false);
    conn.focus();
  };

  const fullscreen = async () => {
    await document.documentElement.requestFullscreen();
    const kb = (navigator as Navigator & { keyboard?: KeyboardLock }).keyboard;
    await kb?.lock().catch(() => undefined);
    rfb.current?.focus();
  };

  const connected = link.state === 'connected';
  return (
    <div className="console">
      <header className="console__bar">
        <MonitorPlay aria-hidden="true" size={15} />
        <h1 className="console__name">{name}</h1>
        <span className={`console__link console__link--${link.state}`} role="status">
          {link.state === 'connected' ? 'Connected' : link.state === 'connecting' ? 'Connecting…' : `Disconnected: ${link.reason}`}
        </span>
        <span className="console__spacer" />
        {link.state === 'closed' && (
          <button type="button" className="button vm-btn-sm" onClick={() => setAttempt((n) => n + 1)}>
            <RotateCw aria-hidden="true" size={13} />
            Reconnect
          </button>
        )}
        <button type="button" className="button vm-btn-sm" aria-disabled={!connected || undefined} onClick={() => connected && send(['ctrl', 'alt', 'del'])}>
          Ctrl+Alt+Del
        </button>
        <div className="console__menu">
          <button type="button" className="button vm-btn-sm" aria-haspopup="menu" aria-expanded={menuOpen} aria-disabled={!connected || undefined} onClick={() => connected && setMenuOpen((o) => !o)}>
            <Keyboard aria-hidden="true" size={13} />
            Send keys
          </button>
          {menuOpen && (
            <ul className="console__menu-list" role="menu" aria-label="Send keys" onKeyDown={(e) => e.key === 'Escape' && setMenuOpen(false)}>
              {COMBOS.map((c) => (
                <li key={c.label} role="none">
                  <button type="button" role="menuitem" className="console__menu-item" onClick={() => send(c.keys)}>
                    {c.label}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <ConsoleUsbMenu client={client} name={name} disabled={!connected} />
        <button type="button" className="button vm-btn-sm" aria-disabled={!connected || undefined} onClick={() => connected && void fullscreen()} title="Fullscreen and capture keys (Esc held leaves)">
          <Expand aria-hidden="true" size={13} />
          Fullscreen and capture keys
        </button>
      </header>
      {/* An application to assistive technology: the keys typed here go to the guest. */}
      <div className="console__screen" ref={screen} data-testid="vnc-screen" role="application" aria-label={`Screen of ${name}`} />
    </div>
  );
}
