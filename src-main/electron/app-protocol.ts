// Serves the built renderer on nova://app/ so the page has a real origin of its own
// (file:// would share one with every local file) and a CSP header on every response.
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { protocol } from 'electron';
import { APP_SCHEME, RENDERER_CSP } from './security.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** `csp` may widen connect-src to the console proxy (see console-window.ts); default: RENDERER_CSP. */
export function serveRenderer(rendererDir: string, csp: string = RENDERER_CSP): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('not found', { status: 404 });
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    try {
      const root = await realpath(rendererDir);
      const file = await realpath(join(root, path));
      if (!file.startsWith(root + sep)) return new Response('not found', { status: 404 });
      return new Response(await readFile(file), {
        headers: {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': csp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
