// The VM's serial console in an xterm.js terminal, over main's console proxy
// (`/nova-console/serial/NAME`, binary frames). The proxy replays the tail of the
// serial log first, so what the guest printed before we connected is on screen too.
import { Plug, RotateCw } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import type { VmState } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { consoleSocket } from '../../lib/console-socket.js';
import { isLive } from '../../lib/vm-format.js';
import { LEAVE_TERMINAL_HINT, openXtermView } from '../../lib/xterm-view.js';

type Link = 'connecting' | 'connected' | 'closed';

export function SerialConsole({ name, state }: { name: string; state: VmState }) {
  const { client } = useServices();
  const host = useRef<HTMLDivElement>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [reason, setReason] = useState('');
  const [attempt, setAttempt] = useState(0);
  const live = isLive(state);

  useEffect(() => {
    const el = host.current;
    if (!el || !live) return;
    const view = openXtermView(el, { convertEol: false });
    const term = view.term;
    let ws: WebSocket | null = null;
    let disposed = false;
    const encoder = new TextEncoder();
    setLink('connecting');
    void consoleSocket(client, 'serial', name, window)
      .then((target) => {
        if (disposed) return;
        ws = new WebSocket(target.url, target.protocols);
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
          setLink('connected');
          term.focus();
        };
        ws.onmessage = (e: MessageEvent<ArrayBuffer>) => term.write(new Uint8Array(e.data));
        ws.onclose = (e) => {
          if (disposed) return;
          setLink('closed');
          setReason(e.reason || (e.code === 1006 ? 'the console could not be reached (is the VM running?)' : `closed (${e.code})`));
        };
      })
      .catch((err: unknown) => {
        setLink('closed');
        setReason((err as Error).message);
      });
    const input = term.onData((data) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
    });
    return () => {
      disposed = true;
      input.dispose();
      ws?.close();
      view.dispose();
    };
  }, [client, name, live, attempt]);

  if (!live) return <p className="muted">The serial console is available while the VM runs.</p>;
  return (
    <section className="serial" data-method="vm.consoleInfo" aria-label={`Serial console of ${name}`}>
      <div className="serial__bar">
        <span className={`serial__link serial__link--${link}`} role="status">
          <Plug aria-hidden="true" size={13} />
          {link === 'connected' ? 'Connected to ttyS0' : link === 'connecting' ? 'Connecting…' : `Disconnected: ${reason}`}
        </span>
        {link === 'closed' && (
          <button type="button" className="button vm-btn-sm" onClick={() => setAttempt((n) => n + 1)}>
            <RotateCw aria-hidden="true" size={13} />
            Reconnect
          </button>
        )}
      </div>
      <div className="serial__term" ref={host} data-testid="serial-terminal" />
      <p className="muted serial__hint">{LEAVE_TERMINAL_HINT}.</p>
    </section>
  );
}
