// `nova web --listen` from a browser: HTTPS with Nova's self-signed certificate (accepted
// here as a person accepts it after checking its fingerprint), opened with a `view` API
// token from `nova token create`. The page lists the VM, and its Start is refused in
// words that say why and what to do, never as a code.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helper/system-tests/fixtures/wait-for.js';
import { CHROMIUM, CHROMIUM_ARGS, expect, test } from './support/fixtures.js';
import { callOverWeb, callOverWebOk } from './support/web-api.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO_ROOT, 'out/cli/nova.mjs');
const VM = 'nv6w-e2e';

test.describe('web mode on another address', () => {
  let web: ChildProcess | null = null;

  test.afterAll(async ({ nova }) => {
    web?.kill('SIGTERM');
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
    // The token too: the stack outlives this file, and a second run would find the name taken.
    spawnSync(process.execPath, [CLI, '--socket', nova.socket, '--no-autostart', 'token', 'rm', 'nv6w-viewer'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: nova.runDir, XDG_CONFIG_HOME: join(nova.runDir, 'nv6w-config') }, timeout: 30_000 });
  });

  test('a view token shows the VMs, and Start says the token may only look', async ({ playwright, nova }) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: nova.runDir, XDG_CONFIG_HOME: join(nova.runDir, 'nv6w-config') };
    const globals = ['--socket', nova.socket, '--no-autostart'];
    const made = JSON.parse(execFileSync(process.execPath, [CLI, ...globals, '--json', 'token', 'create', '--scope', 'view', '--expires', '1h', '--name', 'nv6w-viewer'], { env, encoding: 'utf8', timeout: 30_000 })) as { secret: string };
    await callOverWebOk(nova.origin, nova.token, 'vm.create', { name: VM, diskSize: '16Mi' });
    const child = spawn(process.execPath, [CLI, ...globals, 'web', '--listen', '127.0.0.2:0', '--tls', ...(process.env.NOVA_E2E_RENDERER_DIR ? ['--renderer-dir', process.env.NOVA_E2E_RENDERER_DIR] : [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    web = child;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const origin = await waitFor(() => /^Nova web UI: (https:\/\/\S+)\/$/m.exec(out)?.[1], 20_000, 'the remote web address');
    expect(out).toMatch(/SHA-256 fingerprint: [0-9A-F:]{95}/);

    const context = await playwright.chromium.launchPersistentContext(join(nova.runDir, 'nv6w-chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      ignoreHTTPSErrors: true,
      timeout: 30_000,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${origin}/?token=${made.secret}#/vms/${VM}`);
      await expect(page.getByRole('heading', { name: VM })).toBeVisible({ timeout: 30_000 });
      await page.locator('[data-method="vm.start"]').first().click();
      const alert = page.getByRole('alert').filter({ hasText: 'Not allowed with this token' });
      await expect(alert).toBeVisible({ timeout: 15_000 });
      await expect(alert).toContainText('nova token create --scope manage');
      await expect(alert).not.toContainText('not_authorized');
      expect(await callOverWebOk(nova.origin, nova.token, 'vm.get', { name: VM })).toMatchObject({ state: 'stopped' });
    } finally {
      await context.close();
    }
  });
});
