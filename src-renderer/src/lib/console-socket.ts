// Where a console's WebSocket goes: in web mode the page's own origin (main proxies
// `/nova-console/...`); in Electron the proxy main runs on 127.0.0.1, with its token.
import { CONSOLE_WS_PREFIX, type ConsoleKind } from '../../../src-shared/api/metrics-api.js';
import type { NovaClient } from '../transport/nova-client.js';

export async function consoleSocketUrl(client: NovaClient, kind: ConsoleKind, name: string, location: Location): Promise<string> {
  const path = `${CONSOLE_WS_PREFIX}${kind}/${encodeURIComponent(name)}`;
  const endpoint = await client.call('vm.consoleEndpoint', {});
  if (endpoint.base) return `${endpoint.base}${path}?token=${encodeURIComponent(endpoint.token ?? '')}`;
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}
