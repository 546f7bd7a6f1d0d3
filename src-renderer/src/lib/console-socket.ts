// Where a console's WebSocket goes and what it offers: in web mode the page's own origin
// (main proxies `/nova-console/...`), with the tab's token as a subprotocol beside
// `binary`; in Electron the proxy main runs on 127.0.0.1, with its token in the query.
import { CONSOLE_WS_PREFIX, type ConsoleKind } from '../../../src-shared/api/metrics-api.js';
import { webSocketProtocols } from '../../../src-shared/wire/web-protocol.js';
import type { NovaClient } from '../transport/nova-client.js';
import { webToken } from './web-token.js';

export interface ConsoleSocketTarget {
  readonly url: string;
  /** For `new WebSocket(url, protocols)` and noVNC's `wsProtocols`. */
  readonly protocols: string[];
}

/** Every console socket speaks raw bytes: the proxy selects `binary`. */
const CONSOLE_PROTOCOLS = ['binary'];

type PageWindow = Pick<Window, 'location' | 'sessionStorage'>;

/** `path` and `query` are the console's; the endpoint decides the rest. */
export async function consoleSocketTarget(client: NovaClient, path: string, query: URLSearchParams, win: PageWindow): Promise<ConsoleSocketTarget> {
  const endpoint = await client.call('vm.consoleEndpoint', {});
  if (endpoint.base) {
    query.set('token', endpoint.token ?? '');
    return { url: `${endpoint.base}${path}?${query.toString()}`, protocols: [...CONSOLE_PROTOCOLS] };
  }
  const { location } = win;
  const search = query.toString() ? `?${query.toString()}` : '';
  return {
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}${search}`,
    protocols: webSocketProtocols(webToken(win), CONSOLE_PROTOCOLS),
  };
}

/** A saved host's console goes to the same proxy with `?host=`: main carries it over ssh. */
export function consoleSocket(client: NovaClient, kind: ConsoleKind, name: string, win: PageWindow): Promise<ConsoleSocketTarget> {
  const query = new URLSearchParams(client.isLocal ? {} : { host: client.host });
  return consoleSocketTarget(client, `${CONSOLE_WS_PREFIX}${kind}/${encodeURIComponent(name)}`, query, win);
}
