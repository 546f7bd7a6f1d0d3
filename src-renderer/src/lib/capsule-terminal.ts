// Where a capsule terminal's WebSocket goes (the same proxy as the VM consoles: the
// page's own origin in web mode, main's 127.0.0.1 proxy with its token in Electron),
// with the terminal's first size in the query so the shell starts at the right width.
import { CONSOLE_WS_PREFIX } from '../../../src-shared/api/metrics-api.js';
import type { NovaClient } from '../transport/nova-client.js';

export async function terminalSocketUrl(client: NovaClient, name: string, size: { cols: number; rows: number }, location: Location): Promise<string> {
  const query = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows) });
  const path = `${CONSOLE_WS_PREFIX}terminal/${encodeURIComponent(name)}`;
  const endpoint = await client.call('vm.consoleEndpoint', {});
  if (endpoint.base) {
    query.set('token', endpoint.token ?? '');
    return `${endpoint.base}${path}?${query.toString()}`;
  }
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}?${query.toString()}`;
}
