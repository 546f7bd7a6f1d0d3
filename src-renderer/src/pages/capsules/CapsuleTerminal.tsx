// An interactive shell in the capsule, in xterm.js over main's terminal proxy
// (`/nova-console/terminal/NAME`): binary WebSocket messages carry the frames of
// src-shared/terminal-protocol.ts both ways (keystrokes and resizes out, output and
// the exit status in). Reconnecting opens a fresh shell.
import { Plug, RotateCw } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { encodeTerminalData, encodeTerminalResize, TerminalFrameDecoder } from '../../../../src-shared/terminal-protocol.js';
import { useServices } from '../../app/services.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { terminalSocket } from '../../lib/capsule-terminal.js';
import { LEAVE_TERMINAL_HINT, openXtermView } from '../../lib/xterm-view.js';

type Link = 'connecting' | 'connected' | 'closed';

export function CapsuleTerminal({ capsule }: { capsule: Capsule }) {
  const { client } = useServices();
  const host = useRef<HTMLDivElement>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [reason, setReason] = useState('');
  const [attempt, setAttempt] = useState(0);
  const name = capsule.name;
  const live = capsule.state === 'running';

  useEffect(() => {
    const el = host.current;
    if (!el || !live) return;
    const view = openXtermView(el);
    const term = view.term;
    let ws: WebSocket | null = null;
    let disposed = false;
    let exited: number | null = null;
    const send = (bytes: Uint8Array) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(bytes);
    };
    const onResize = term.onResize(({ cols, rows }) => send(encodeTerminalResize(cols, rows)));
    const input = term.onData((data) => encodeTerminalData(data).forEach(send));
    const decoder = new TerminalFrameDecoder();
    setLink('connecting');
    void terminalSocket(client, name, { cols: term.cols, rows: term.rows }, window)
      .then((target) => {
        if (disposed) return;
        ws = new WebSocket(target.url, target.protocols);
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
          setLink('connected');
          term.focus();
        };
        ws.onmessage = (e: MessageEvent<ArrayBuffer>) => {
          let frames;
          try {
            frames = decoder.push(new Uint8Array(e.data));
          } catch {
            ws?.close(1002, 'terminal protocol error');
            return;
          }
          for (const f of frames) {
            if (f.type === 'data') term.write(f.data);
            else if (f.type === 'exit') exited = f.exitCode;
          }
        };
        ws.onclose = (e) => {
          if (disposed) return;
          setLink('closed');
          setReason(
            exited !== null
              ? `the shell exited with ${exited}`
              : e.reason || (e.code === 1006 ? 'the terminal could not be opened (is the capsule running, and does its image have /bin/sh?)' : `closed (${e.code})`),
          );
        };
      })
      .catch((err: unknown) => {
        setLink('closed');
        setReason((err as Error).message);
      });
    return () => {
      disposed = true;
      input.dispose();
      onResize.dispose();
      ws?.close();
      view.dispose();
    };
  }, [client, name, live, attempt]);

  if (!live) return <p className="muted">The terminal is available while the capsule runs{isCapsuleLive(capsule.state) ? ': resume it first' : ''}.</p>;
  return (
    <section className="serial" aria-label={`Terminal of ${name}`}>
      <div className="serial__bar">
        <span className={`serial__link serial__link--${link}`} role="status">
          <Plug aria-hidden="true" size={13} />
          {link === 'connected' ? 'Shell open' : link === 'connecting' ? 'Connecting…' : `Disconnected: ${reason}`}
        </span>
        {link === 'closed' && (
          <button type="button" className="button vm-btn-sm" data-method="capsule.terminalOpen" onClick={() => setAttempt((n) => n + 1)}>
            <RotateCw aria-hidden="true" size={13} />
            New shell
          </button>
        )}
      </div>
      <div className="serial__term" ref={host} data-testid="capsule-terminal" data-method="capsule.terminalOpen" />
      <p className="muted serial__hint">{LEAVE_TERMINAL_HINT}.</p>
    </section>
  );
}
