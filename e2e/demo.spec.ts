// The first run: on a host with nothing on it the Dashboard offers the demo project;
// "Start the demo" runs its up through main (assets made from Debian packages, then a
// NAT network, a tiny VM and a capsule) with progress, and the guests appear, running.
// The demo is a prefixed copy of examples/hello (NOVA_DEMO_FILE), taken down afterwards.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyDemo, type DemoCopy } from '../helper/system-tests/fixtures/demo-copy.js';
import type { MethodName, ParamsIn } from '../src-shared/index.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { test, expect } from './support/fixtures.js';
import { NovaStack, TEST_GUEST_CACHE, type NovaStackInfo } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(3).toString('hex');
// Under the test guests' cache: a folder this stack's helper may read kernels from.
const DEMO_DIR = join(TEST_GUEST_CACHE, `nv13d-e2e-${RUN}`);

async function api<M extends MethodName>(info: NovaStackInfo, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(info.origin, info.token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

test('the empty Dashboard offers the demo, and starting it brings its guests up', async ({ page, pageProblems }) => {
  test.setTimeout(360_000);
  let demo: DemoCopy | null = null;
  let stack: NovaStack | null = null;
  let info: NovaStackInfo | null = null;
  try {
    demo = await copyDemo(DEMO_DIR, `nv13d-${RUN}`, parseInt(RUN.slice(0, 2), 16) % 250);
    stack = new NovaStack({
      repoRoot: REPO,
      artifactsDir: fileURLToPath(ARTIFACTS),
      name: 'demo',
      rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
      webEnv: { NOVA_DEMO_FILE: demo.file, NOVA_ASSET_CACHE: join(TEST_GUEST_CACHE, 'assets') },
    });
    info = await stack.start();

    const dash = new DashboardPage(page);
    await dash.open(info.url);
    await expect(dash.heading).toHaveText('Dashboard');
    await expect(dash.guests).toContainText('Nothing running yet');
    const start = dash.demo.getByRole('button', { name: 'Start the demo' });
    await expect(start).toBeVisible();
    await start.click();
    await expect(dash.demo.getByRole('log', { name: 'Demo progress' })).toContainText(`network ${demo.network}`, { timeout: 120_000 });
    await expect(dash.demo.getByRole('status')).toHaveText('The demo is up: its guests are listed below.', { timeout: 240_000 });
    await expect(dash.row('vm', demo.vm)).toContainText('Running', { timeout: 30_000 });
    await expect(dash.row('capsule', demo.capsule)).toContainText('Running', { timeout: 30_000 });
    await expect(page.locator(`[data-network="${demo.network}"]`)).toContainText(demo.vm);
    await page.screenshot({ path: new URL('demo-light.png', ARTIFACTS).pathname });
    expect(pageProblems).toEqual([]);
  } finally {
    if (info && demo) {
      await api(info, 'project.down', { path: demo.file, volumes: true }).catch(() => undefined);
      await api(info, 'ociImage.remove', { name: demo.image }).catch(() => undefined);
    }
    await stack?.stop();
    await rm(DEMO_DIR, { recursive: true, force: true });
  }
});
