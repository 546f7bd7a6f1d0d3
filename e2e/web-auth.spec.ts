// Web mode lets in only whoever holds the per-run token, and the token lives in the
// page's own tab and travels only with its WebSockets: never in a cookie, which the
// browser would hand to every port of 127.0.0.1. Each refusal is paired with the same
// request done right, so it cannot pass by accident. A second `nova web` runs beside the
// shared one where a test needs a process of its own (two instances, bad frames).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WEB_MAX_MESSAGE_BYTES } from '../src-shared/index.js';
import { AppShell } from './pages/app-shell.js';
import { expect, test } from './support/fixtures.js';
import { startExtraWeb, type ExtraWebMode } from './support/nova-stack.js';
import { callOverWeb, httpGet, pageProtocols, sendRawFrame, tryUpgrade } from './support/web-api.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What another local user's server on another loopback port saw and managed. */
interface Foreign {
  readonly origin: string;
  readonly requests: IncomingHttpHeaders[];
  readonly reports: string[];
  close(): Promise<void>;
}

/**
 * Another program's page on another port of 127.0.0.1: it records every header the
 * browser sends it, and its script tries the Nova socket from the browser and reports back.
 */
async function startForeignServer(novaOrigin: string): Promise<Foreign> {
  const requests: IncomingHttpHeaders[] = [];
  const reports: string[] = [];
  const wsUrl = `${novaOrigin.replace(/^http/, 'ws')}/nova-ws`;
  const page = `<!doctype html><title>nv12w other</title><script>
    const report = (what) => fetch('/report?' + encodeURIComponent(what));
    const ws = new WebSocket(${JSON.stringify(wsUrl)}, ['nova.v1']);
    ws.onopen = () => report('opened');
    ws.onclose = () => report('refused');
    report('storage:' + JSON.stringify({ cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage } }));
  </script>`;
  const server: Server = createServer((req, res) => {
    requests.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/report') reports.push(url.search.slice(1) ? decodeURIComponent(url.search.slice(1)) : '');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(url.pathname === '/report' ? '' : page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    reports,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test.describe('web mode authentication', () => {
  test('HTTP serves the app code alone: no token needed for it, and never a cookie', async ({ nova }) => {
    const host = new URL(nova.origin).host;
    for (const path of ['/', `/?token=${encodeURIComponent(nova.token)}`]) {
      const answer = await httpGet(nova.origin, path, { Host: host });
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toContain('<div id="root">');
      expect(answer.setCookie, path).toEqual([]);
    }
  });

  test('a WebSocket to /nova-ws opens only with the token as a subprotocol, from the page origin', async ({ nova }) => {
    const noToken = await tryUpgrade(nova.origin, { Origin: nova.origin });
    expect(noToken.opened).toBe(false);
    if (!noToken.opened) expect([401, 403]).toContain(noToken.status);

    const forged = await tryUpgrade(nova.origin, { Origin: nova.origin }, pageProtocols('forged'));
    expect(forged.opened).toBe(false);

    // The former cookie carries nothing any more.
    const cookie = await tryUpgrade(nova.origin, { Origin: nova.origin, Cookie: `nova_token=${nova.token}` });
    expect(cookie.opened).toBe(false);

    // The right token from another site's page (cross-site WebSocket hijacking) is refused too.
    const foreign = await tryUpgrade(nova.origin, { Origin: 'http://evil.example' }, pageProtocols(nova.token));
    expect(foreign.opened).toBe(false);

    const proper = await tryUpgrade(nova.origin, { Origin: nova.origin }, pageProtocols(nova.token));
    expect(proper).toEqual({ opened: true });
  });

  test('a page served on another loopback port gets nothing usable', async ({ page, context, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');

    const other = await startForeignServer(nova.origin);
    try {
      // The user follows a link to the other page, in this tab and in a new one.
      await page.goto(`${other.origin}/`);
      const second = await context.newPage();
      await second.goto(`${other.origin}/second`);
      await expect.poll(() => other.reports.filter((r) => r === 'opened' || r === 'refused').length, { timeout: 10_000 }).toBe(2);
      expect(other.reports).not.toContain('opened');

      const seen = JSON.stringify({ headers: other.requests, reports: other.reports });
      expect(seen).not.toContain(nova.token);
      expect(seen).not.toContain('nova_token');

      // Everything it was sent, replayed from outside the browser with a forged Origin.
      for (const headers of other.requests) {
        const replay = await tryUpgrade(nova.origin, { Origin: nova.origin, ...(headers.cookie ? { Cookie: headers.cookie } : {}) });
        expect(replay.opened).toBe(false);
      }
      await second.close();
    } finally {
      await other.close();
    }
  });

  test('two nova web instances work side by side in one browser, reloads included', async ({ page, context, nova }) => {
    const extra = await startExtraWeb(nova, REPO_ROOT, 'nv12w-web-side');
    try {
      const first = new AppShell(page);
      await first.open(nova.url);
      await expect(first.connection).toContainText('Connected to Nova');
      const other = new AppShell(await context.newPage());
      await other.open(extra.url);
      await expect(other.connection).toContainText('Connected to Nova');

      for (const shell of [first, other]) {
        await shell.page.reload();
        await expect(shell.connection).toContainText('Connected to Nova');
        expect(shell.page.url()).not.toContain('token=');
      }
      await other.page.close();
    } finally {
      await extra.stop();
    }
  });

  test('a console window opened from the page connects with the same token', async ({ page, context, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    const [popup] = await Promise.all([
      context.waitForEvent('page'),
      // As the VM page's "Open console" does (vm-context.ts), for a VM that does not exist.
      page.evaluate("void window.open('console.html#nv12w-none', 'nova-console-nv12w-none', 'popup,width=800,height=600')"),
    ]);
    // The helper answers about the VM (it does not exist), so the call went through.
    await expect(popup.getByRole('status')).toContainText(/nv12w-none.*(does not exist|not found)/i, { timeout: 20_000 });
    await popup.close();
  });

  test('one bad WebSocket message does not end nova web', async ({ nova }) => {
    let extra: ExtraWebMode | null = await startExtraWeb(nova, REPO_ROOT, 'nv12w-web-frames');
    try {
      // The frames of the report: 1.2 MB of text (not JSON), and text that is not UTF-8;
      // then one over the limit the schemas set.
      expect(await sendRawFrame(extra.origin, extra.token, 'x'.repeat(1_200_000))).toBe(1007);
      expect(await sendRawFrame(extra.origin, extra.token, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(1007);
      expect(await sendRawFrame(extra.origin, extra.token, 'x'.repeat(WEB_MAX_MESSAGE_BYTES + 1))).toBe(1009);

      expect(extra.process.exitCode).toBeNull();
      expect(extra.process.signalCode).toBeNull();
      const info = await callOverWeb(extra.origin, extra.token, 'app.info', {}, 10_000);
      expect(info).toMatchObject({ ok: true, value: { mode: 'web' } });
    } finally {
      await extra?.stop();
      extra = null;
    }
  });

  test('a browser that opens the address without the token gets no UI, but says what to open', async ({ page, nova }) => {
    await page.goto(nova.origin + '/');
    await expect(page.getByRole('heading', { name: 'Nova needs its access token' })).toBeVisible();
    await expect(page.getByRole('main')).toContainText('nova web --print-url');
    await expect(page.getByRole('navigation', { name: 'Sections' })).toHaveCount(0);
  });
});
