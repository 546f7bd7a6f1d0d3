// Where a capsule terminal's WebSocket goes (the same proxy as the VM consoles: the
// page's own origin in web mode, main's 127.0.0.1 proxy with its token in Electron),
// with the terminal's first size in the query so the shell starts at the right width.
import { CONSOLE_WS_PREFIX } from '../../../src-shared/api/metrics-api.js';
import type { NovaClient } from '../transport/nova-client.js';
import { consoleSocketTarget, type ConsoleSocketTarget } from './console-socket.js';

export function terminalSocket(
  client: NovaClient,
  name: string,
  size: { cols: number; rows: number },
  win: Pick<Window, 'location' | 'sessionStorage'>,
): Promise<ConsoleSocketTarget> {
  // A saved host's capsule goes to the same proxy with `?host=`, as its VM consoles do.
  const query = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows), ...(client.isLocal ? {} : { host: client.host }) });
  return consoleSocketTarget(client, `${CONSOLE_WS_PREFIX}terminal/${encodeURIComponent(name)}`, query, win);
}
