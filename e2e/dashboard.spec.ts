// The Dashboard against the real helper and runtime, with two running capsules (busybox,
// a little CPU each second): both are listed with their state, their CPU sparklines and
// the host graphs gain points between two reads, and after web mode and the helper are
// restarted the minutes before the restart are still drawn (the helper's store kept them).
// Two capsules rather than a VM: a TCG guest's boot would take most of the time budget.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import type { MethodName, ParamsIn } from '../src-shared/index.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { test as base, expect } from './support/fixtures.js';
import { NovaStack, startExtraWeb, type ExtraWebMode, type NovaStackInfo } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
const IMAGE = `nv3h-busybox-${RUN}`;
const CAPSULES = [`nv3h-a-${RUN}`, `nv3h-b-${RUN}`];
// A short burst of shell arithmetic every second: a visible, small CPU line.
const WORK = ['sh', '-c', 'while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done'];

const test = base.extend<{ ownStack: { stack: NovaStack; info: NovaStackInfo } }>({
  // eslint-disable-next-line no-empty-pattern
  ownStack: async ({}, use) => {
    const stack = new NovaStack({ repoRoot: REPO, artifactsDir: fileURLToPath(ARTIFACTS), name: 'dashboard', rendererDir: process.env.NOVA_E2E_RENDERER_DIR });
    try {
      await use({ stack, info: await stack.start() });
    } finally {
      await stack.stop();
    }
  },
});

async function api<M extends MethodName>(info: NovaStackInfo, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(info.origin, info.token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

test('lists two running capsules with moving graphs, and keeps their history across restarts', async ({ page, ownStack, pageProblems }) => {
  test.setTimeout(240_000);
  const { stack, info } = ownStack;
  const workDir = join(info.importDir, `nv3h-${RUN}`);
  const webs: ExtraWebMode[] = [];
  try {
    await mkdir(workDir, { recursive: true });
    await api(info, 'ociImage.import', { path: await makeBusyboxRootfs(workDir), name: IMAGE });

    // A host with no guests: the empty state with the create actions.
    webs.push(await startExtraWeb(info, REPO, 'dashboard-web-1'));
    const dash = new DashboardPage(page);
    await dash.open(webs[0]!.url);
    await expect(dash.heading).toHaveText('Dashboard');
    await expect(dash.link('Dashboard')).toHaveAttribute('aria-current', 'page');
    await expect(dash.guests).toContainText('Nothing running yet');
    await expect(dash.guests.getByRole('link', { name: 'New virtual machine' })).toHaveAttribute('href', '#/vms/new');

    // Created and started behind the page's back: the events bring them into the list.
    for (const name of CAPSULES) {
      await api(info, 'capsule.create', { name, image: IMAGE, command: WORK, memoryBytes: 64 * 1024 * 1024 });
      await api(info, 'capsule.start', { name });
    }
    for (const name of CAPSULES) {
      await expect(dash.row('capsule', name)).toContainText('Running', { timeout: 30_000 });
      await expect(dash.row('capsule', name).getByRole('link', { name })).toHaveAttribute('href', `#/capsules/${name}`);
    }

    // Moving: a later read draws points newer than an earlier one, for each guest and the host.
    for (const name of CAPSULES) {
      await expect.poll(async () => (await dash.sparklineSeries('capsule', name)).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      const before = await dash.sparklineSeries('capsule', name);
      await expect.poll(async () => (await dash.sparklineSeries('capsule', name)).last, { timeout: 20_000 }).toBeGreaterThan(before.last);
      expect((await dash.sparklineSeries('capsule', name)).points).toBeGreaterThanOrEqual(before.points);
    }
    await expect.poll(async () => (await dash.hostSeries()).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const hostBefore = await dash.hostSeries();
    await expect.poll(async () => (await dash.hostSeries()).last, { timeout: 20_000 }).toBeGreaterThan(hostBefore.last);
    await page.screenshot({ path: new URL('dashboard-light.png', ARTIFACTS).pathname });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: new URL('dashboard-dark.png', ARTIFACTS).pathname });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(pageProblems).toEqual([]);

    // Restart both: web mode first, then the helper; the page comes back from the new server.
    const restartedAt = Date.now();
    await webs[0]!.stop();
    await stack.stopHelper();
    await stack.startHelper();
    webs.push(await startExtraWeb(info, REPO, 'dashboard-web-2'));
    await dash.open(webs[1]!.url);
    await expect(dash.heading).toHaveText('Dashboard');
    await expect.poll(async () => (await dash.hostSeries()).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // The first drawn point predates the restart: the history came back from the helper's disk.
    expect((await dash.hostSeries()).first).toBeLessThan(restartedAt);
    for (const name of CAPSULES) {
      await expect(dash.row('capsule', name)).toContainText('Running', { timeout: 30_000 });
      await expect.poll(async () => (await dash.sparklineSeries('capsule', name)).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      expect((await dash.sparklineSeries('capsule', name)).first).toBeLessThan(restartedAt);
    }

    // From the keyboard alone: Tab to a guest's name, Enter opens its page.
    const link = dash.row('capsule', CAPSULES[0]!).getByRole('link', { name: CAPSULES[0]! });
    for (let i = 0; i < 60 && !(await link.evaluate((el) => el.matches(':focus'))); i++) await page.keyboard.press('Tab');
    await expect(link).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dash.heading).toHaveText(CAPSULES[0]!);
  } finally {
    for (const name of CAPSULES) await api(info, 'capsule.delete', { name, force: true }).catch(() => undefined);
    await api(info, 'ociImage.remove', { name: IMAGE }).catch(() => undefined);
    for (const web of webs) await web.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
});
