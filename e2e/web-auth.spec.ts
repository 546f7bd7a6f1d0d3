// Web mode lets in only whoever holds the per-run token: plain HTTP without it is
// refused, and so is a WebSocket to /nova-ws without the cookie the token buys. Each
// refusal is paired with the same request done right, so it cannot pass by accident.
import { expect, test } from './support/fixtures.js';
import { authCookie, httpGet, tryUpgrade } from './support/web-api.js';

test.describe('web mode authentication', () => {
  test('HTTP without the token is refused; with it, the UI is served with a cookie', async ({ nova }) => {
    const host = new URL(nova.origin).host;
    const bare = await httpGet(nova.origin, '/', { Host: host });
    expect([401, 403]).toContain(bare.status);
    expect(bare.body).not.toContain('<div id="root">');

    const wrong = await httpGet(nova.origin, '/?token=not-the-token', { Host: host });
    expect([401, 403]).toContain(wrong.status);

    const assets = await httpGet(nova.origin, '/index.html', { Host: host });
    expect([401, 403]).toContain(assets.status);

    const right = await httpGet(nova.origin, `/?token=${encodeURIComponent(nova.token)}`, { Host: host });
    expect(right.status).toBe(200);
    expect(right.body).toContain('<div id="root">');
    expect(right.setCookie.join(';')).toMatch(/HttpOnly/i);
  });

  test('a WebSocket to /nova-ws without the cookie is refused', async ({ nova }) => {
    const cookie = await authCookie(nova.origin, nova.token);

    const noCookie = await tryUpgrade(nova.origin, { Origin: nova.origin });
    expect(noCookie.opened).toBe(false);
    if (!noCookie.opened) expect([401, 403]).toContain(noCookie.status);

    const badCookie = await tryUpgrade(nova.origin, { Origin: nova.origin, Cookie: 'nova_token=forged' });
    expect(badCookie.opened).toBe(false);

    // The right cookie from another site's page (cross-site WebSocket hijacking) is refused too.
    const foreign = await tryUpgrade(nova.origin, { Origin: 'http://evil.example', Cookie: cookie });
    expect(foreign.opened).toBe(false);

    const proper = await tryUpgrade(nova.origin, { Origin: nova.origin, Cookie: cookie });
    expect(proper).toEqual({ opened: true });
  });

  test('a browser that opens the address without the token gets no UI', async ({ page, nova }) => {
    const response = await page.goto(nova.origin + '/');
    expect([401, 403]).toContain(response?.status());
    await expect(page.getByRole('navigation', { name: 'Sections' })).toHaveCount(0);
  });
});
