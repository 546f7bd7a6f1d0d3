// `nova web --listen` on a LAN address with client certificates, from a real browser. The
// web server runs in a network namespace of its own at 10.217.11.2, reached over a veth
// pair as a machine on the LAN is; the user gave it a server certificate and the CA their
// client certificates come from. A browser presenting a certificate of that CA opens the UI
// with no token at all and may change things; without a certificate, or with one another
// CA signed, no page of Nova loads.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, PlaywrightWorkerArgs } from '@playwright/test';
import { TestCertificates } from '../helper/system-tests/fixtures/test-certificates.js';
import { waitFor } from '../helper/system-tests/fixtures/wait-for.js';
import { CHROMIUM, CHROMIUM_ARGS, expect, test } from './support/fixtures.js';
import { callOverWeb, callOverWebOk } from './support/web-api.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO_ROOT, 'out/cli/nova.mjs');
const NETNS = 'nv7w-srv';
const HOST_SIDE = { link: 'nv7wr0', address: '10.217.11.1' };
const SERVER_SIDE = { link: 'nv7ws0', address: '10.217.11.2' };
const VM = 'nv7w-cert';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe', timeout: 10_000 });

test.describe('web mode on a LAN address with client certificates', () => {
  let web: ChildProcess | null = null;
  let origin = '';
  let certs: TestCertificates;
  let certDir = '';

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(90_000);
    certDir = join(nova.runDir, 'nv7w-certs');
    await mkdir(certDir, { recursive: true });
    certs = new TestCertificates(certDir);
    certs.makeCa('ca-users');
    certs.makeCa('ca-other');
    certs.makeCert('ca-users', 'server', `subjectAltName=IP:${SERVER_SIDE.address}\nextendedKeyUsage=serverAuth\n`);
    certs.makeCert('ca-users', 'laptop', 'extendedKeyUsage=clientAuth\n');
    certs.makeCert('ca-other', 'stranger', 'extendedKeyUsage=clientAuth\n');

    ip('netns', 'add', NETNS);
    ip('-n', NETNS, 'link', 'set', 'lo', 'up');
    ip('link', 'add', HOST_SIDE.link, 'type', 'veth', 'peer', 'name', SERVER_SIDE.link, 'netns', NETNS);
    // No IPv6 on the host's end: its link-local address would appear a second after the link
    // comes up, and Chromium drops what it is loading when this machine's addresses change.
    await writeFile(`/proc/sys/net/ipv6/conf/${HOST_SIDE.link}/disable_ipv6`, '1');
    ip('addr', 'add', `${HOST_SIDE.address}/30`, 'dev', HOST_SIDE.link);
    ip('-n', NETNS, 'addr', 'add', `${SERVER_SIDE.address}/30`, 'dev', SERVER_SIDE.link);
    ip('link', 'set', HOST_SIDE.link, 'up');
    ip('-n', NETNS, 'link', 'set', SERVER_SIDE.link, 'up');

    await callOverWebOk(nova.origin, nova.token, 'vm.create', { name: VM, diskSize: '16Mi', display: 'none' });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: nova.runDir, XDG_CONFIG_HOME: join(nova.runDir, 'nv7w-config') };
    const child = spawn('ip', [
      'netns', 'exec', NETNS, process.execPath, CLI, '--socket', nova.socket, '--no-autostart', 'web',
      '--listen', `${SERVER_SIDE.address}:0`,
      '--tls-cert', certs.path('server.pem'), '--tls-key', certs.path('server.key'), '--client-ca', certs.path('ca-users.pem'),
      ...(process.env.NOVA_E2E_RENDERER_DIR ? ['--renderer-dir', process.env.NOVA_E2E_RENDERER_DIR] : []),
    ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    web = child;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    origin = await waitFor(() => /^Nova web UI: (https:\/\/\S+?)\/?$/m.exec(out)?.[1], 20_000, `the web address (said: ${out})`);
    expect(new URL(origin).hostname).toBe(SERVER_SIDE.address);
  });

  test.afterAll(async ({ nova }) => {
    web?.kill('SIGTERM');
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
    try {
      ip('link', 'del', HOST_SIDE.link);
    } catch {
      // gone with the namespace already
    }
    try {
      ip('netns', 'del', NETNS);
    } catch {
      // never made
    }
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  /** A browser of its own, presenting the named client certificate for Nova's origin (or none). */
  async function browser(playwright: PlaywrightWorkerArgs['playwright'], runDir: string, cert: string | null, use: (context: BrowserContext) => Promise<void>): Promise<void> {
    const context = await playwright.chromium.launchPersistentContext(join(runDir, `nv7w-browser-${cert ?? 'none'}`), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      // The test CA is not the browser's; what is under test is the client's certificate.
      ignoreHTTPSErrors: true,
      ...(cert ? { clientCertificates: [{ origin, certPath: certs.path(`${cert}.pem`), keyPath: certs.path(`${cert}.key`) }] } : {}),
      timeout: 30_000,
    });
    try {
      await use(context);
    } finally {
      await context.close();
    }
  }

  test("a certificate from the user's CA opens the UI with no token, and may start a VM", async ({ playwright, nova }) => {
    await browser(playwright, nova.runDir, 'laptop', async (context) => {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${origin}/#/vms/${VM}`);
      await expect(page.getByRole('heading', { name: VM })).toBeVisible({ timeout: 30_000 });
      await page.locator('[data-method="vm.start"]').first().click();
      await expect.poll(async () => ((await callOverWebOk(nova.origin, nova.token, 'vm.get', { name: VM })) as { state: string }).state, { timeout: 60_000 }).toBe('running');
      await expect(page.locator('.page-header [data-state]').first()).toHaveAttribute('data-state', 'running', { timeout: 30_000 });
    });
    await callOverWebOk(nova.origin, nova.token, 'vm.stop', { name: VM, force: true });
  });

  for (const [who, cert] of [['no certificate', null], ['a certificate another CA signed', 'stranger']] as const) {
    test(`${who} loads no page of Nova`, async ({ playwright, nova }) => {
      await browser(playwright, nova.runDir, cert, async (context) => {
        const page = context.pages()[0] ?? (await context.newPage());
        const status = await page.goto(`${origin}/`, { timeout: 20_000 }).then((r) => r?.status() ?? 0, () => 0);
        expect(status).not.toBe(200);
        // Nova's page is titled Nova; what shows instead is the browser's or the proxy's error.
        // Read once the browser has settled on what it shows (its own error page may still be loading).
        const shown = await waitFor(() => page.content().catch(() => null), 10_000, 'the page to settle');
        expect(shown).not.toContain('Nova');
      });
    });
  }
});
