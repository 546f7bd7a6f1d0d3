// The Host page against the real helper: every item of the report is on screen with
// its status, the TCG fallback of this machine is explained, and Re-check re-runs the
// probes with visible progress. Screenshots land in e2e/artifacts/ for design review.
import { HostReportSchema, type HostReport } from '../src-shared/index.js';
import { HostPage, type StatusText } from './pages/host-page.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const STATUS_TEXT: Record<HostReport['items'][number]['status'], StatusText> = { ok: 'OK', warn: 'Warning', fail: 'Failed' };
const GROUP_TITLES: Record<HostReport['items'][number]['group'], string> = {
  hardware: 'Hardware',
  virtualization: 'Virtualization',
  devices: 'Devices',
  containers: 'Containers',
  networking: 'Networking',
  desktop: 'Desktop',
};
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

/** The report as the helper serves it to this web session (cached, so no second probe). */
async function fetchReport(origin: string, token: string): Promise<HostReport> {
  const envelope = await callOverWeb(origin, token, 'host.check', { refresh: false });
  if (!envelope.ok) throw new Error(`host.check failed: ${envelope.error.code} ${envelope.error.message}`);
  return HostReportSchema.parse(envelope.value);
}

test.describe('Host page', () => {
  test('shows every group and item of the host report with its status, summary, evidence and remedy', async ({
    page,
    nova,
    pageProblems,
  }) => {
    const host = new HostPage(page);
    await host.open(nova.url);
    await host.waitForReport();
    const report = await fetchReport(nova.origin, nova.token);

    await expect(host.heading).toHaveText('Host');
    await expect(host.hostname).toHaveText(report.hostname);
    if (report.ociRuntime) await expect(host.ociRuntime).toContainText(report.ociRuntime);

    const groups = [...new Set(report.items.map((item) => item.group))];
    for (const group of groups) {
      await expect(host.group(GROUP_TITLES[group])).toBeVisible();
    }
    expect(report.items.length).toBeGreaterThan(5);
    await expect(page.locator('article[data-check-id]')).toHaveCount(report.items.length);
    for (const item of report.items) {
      const row = host.item(item.id);
      await expect(row.label, `label of ${item.id}`).toHaveText(item.label);
      await expect(row.label).toBeVisible();
      await expect(row.status, `status of ${item.id}`).toHaveText(STATUS_TEXT[item.status]);
      await expect(row.root).toContainText(item.summary);
      if (item.remedy) await expect(row.root).toContainText(item.remedy);
      expect(await row.evidence(), `evidence of ${item.id}`).toEqual(item.evidence);
      // Each item sits in its group's region.
      await expect(host.group(GROUP_TITLES[item.group]).locator(`article[data-check-id="${item.id}"]`)).toHaveCount(1);
    }
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });

  test('says VMs will use TCG on this machine and why KVM is not used', async ({ page, nova }) => {
    const host = new HostPage(page);
    await host.open(nova.url);
    await host.waitForReport();
    const report = await fetchReport(nova.origin, nova.token);
    // This project's machines have a paravirtual /dev/kvm that stock kernels hang on.
    expect(report.accelerator).toBe('tcg');

    await expect(host.accelerator).toBeVisible();
    await expect(host.accelerator).toContainText('VMs will use TCG (software emulation)');
    const kvm = report.items.find((item) => item.id === 'kvm');
    expect(kvm, 'the report has a KVM item').toBeDefined();
    if (!kvm) return;
    expect(kvm.status).not.toBe('ok');
    await expect(host.accelerator).toContainText(`Why: ${kvm.summary}`);

    const row = host.item('kvm');
    await expect(row.status).toHaveText(STATUS_TEXT[kvm.status]);
    await expect(row.root).toContainText(kvm.summary);
    const accelerator = report.items.find((item) => item.id === 'accelerator');
    if (accelerator) await expect(host.item('accelerator').root).toContainText('TCG');
    // Problems show their evidence without a click.
    await expect(row.root.locator('.check-item__evidence li').first()).toBeVisible();
  });

  test('Re-check re-runs the probes, shows progress and re-enables itself', async ({ page, nova }) => {
    const host = new HostPage(page);
    await host.open(nova.url);
    await host.waitForReport();
    const before = await host.generatedAtIso();
    expect(before).not.toBe('');

    await host.recheck();
    await expect(host.recheckButton).toHaveText('Checking…');
    await expect(host.recheckButton).toHaveAttribute('aria-disabled', 'true');
    await expect(host.recheckButton).toBeDisabled();
    await expect(host.progress).toBeVisible();
    // The bar advances (estimated from the last check's duration) rather than sitting still.
    await expect(host.progress).toHaveAttribute('aria-valuenow', /^([1-9]\d*)$/);
    await page.screenshot({ path: new URL('host-rechecking.png', ARTIFACTS).pathname });

    await expect(host.recheckButton).toHaveText('Re-check', { timeout: 65_000 });
    await expect(host.recheckButton).toBeEnabled();
    await expect(host.progress).toBeHidden();
    await expect(host.error).toHaveCount(0);
    const after = await host.generatedAtIso();
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    await expect(host.summary).toContainText('fresh, took');
  });
});

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`Host page in the ${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test(`screenshot (${colorScheme})`, async ({ page, nova, pageProblems }) => {
      const host = new HostPage(page);
      await host.open(nova.url);
      await host.waitForReport();
      await expect(host.connection).toContainText('Helper connected');
      // The theme follows the system: the page background differs between schemes.
      await expect(page.locator('body')).toHaveCSS(
        'background-color',
        colorScheme === 'dark' ? 'rgb(22, 25, 29)' : 'rgb(245, 246, 248)',
      );
      await page.screenshot({ path: new URL(`host-${colorScheme}.png`, ARTIFACTS).pathname, fullPage: true });
      expect(pageProblems).toEqual([]);
    });
  });
}
