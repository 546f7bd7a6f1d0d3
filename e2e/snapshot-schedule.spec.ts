// A VM's snapshot schedule and "Prune now" on its Snapshots tab, in real Chromium against
// the real helper and qemu-img: a schedule typed wrong is refused beside its field while
// typing; one saved reads back after a reload; and with "keep daily 1" over a chain of three
// same-day scheduled snapshots a -> b -> c, Prune now names what the rules drop (a: c is the
// day's newest, and b stays as the parent of a kept snapshot) in its confirmation, then
// deletes exactly that. Light and dark screenshots go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { shootBoth } from './support/spec-tools.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const VM = `nv16s-${randomBytes(3).toString('hex')}`;
const SNAPS = ['nv16s-a', 'nv16s-b', 'nv16s-c'];

/**
 * Marks the VM's snapshots as the schedule's own. The scheduler takes one per clock slot
 * (an hour at the least), so a test cannot wait for three; the mark is the only thing that
 * makes a snapshot a candidate for pruning, and it lives in the VM's snapshot record.
 */
async function markScheduled(stateDir: string, vm: string): Promise<void> {
  const file = await findFile(stateDir, `${vm}.snapshots.json`);
  const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { snapshots: Array<Record<string, unknown>> };
  record.snapshots = record.snapshots.map((s) => ({ ...s, scheduled: true }));
  await writeFile(file, JSON.stringify(record));
}

async function findFile(dir: string, name: string): Promise<string> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return join(entry.parentPath, entry.name);
  }
  throw new Error(`${name} is not under ${dir}`);
}

test.describe('snapshot schedule and prune in the UI', () => {
  test.describe.configure({ timeout: 180_000 });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
  });

  test('set a schedule, read it back after reload, and prune by its rules', async ({ page, nova, pageProblems }) => {
    expect((await callOverWeb(nova.origin, nova.token, 'vm.create', { name: VM, memory: '128Mi', diskSize: '64Mi', display: 'none' })).ok).toBe(true);
    for (const snapshot of SNAPS) {
      const took = await callOverWeb(nova.origin, nova.token, 'vm.snapshotCreate', { name: VM, snapshot, withMemory: false });
      expect(took.ok, JSON.stringify(took)).toBe(true);
    }
    await markScheduled(nova.stateDir, VM);

    await new VmListPage(page).openVm(nova.url, VM);
    const vm = new VmDetailPage(page, VM);
    await vm.tab('Snapshots');

    const card = page.getByRole('region', { name: 'Schedule and retention' });
    await expect(card.locator('[data-schedule-status]')).toHaveText(/No schedule/);
    const schedule = card.getByLabel('Schedule', { exact: true });
    await schedule.fill('daily 25:00');
    await expect(card.locator('[data-error-for="Schedule"]')).toContainText('not a time of day');
    await expect(card.getByRole('button', { name: 'Save schedule' })).toHaveAttribute('aria-disabled', 'true');
    await schedule.fill('daily 02:30');
    await card.getByLabel('Keep daily').fill('x');
    await expect(card.locator('[data-error-for="Keep daily"]')).toContainText('whole number');
    await card.getByLabel('Keep daily').fill('1');
    await card.getByRole('button', { name: 'Save schedule' }).click();
    await expect(page.getByText(`Saved the snapshot schedule of '${VM}'`)).toBeVisible({ timeout: 15_000 });

    await page.reload();
    await expect(schedule).toHaveValue('daily 02:30', { timeout: 15_000 });
    await expect(card.getByLabel('Keep daily')).toHaveValue('1');
    await expect(card.locator('[data-schedule-status]')).toHaveText(/Next scheduled snapshot/);
    await shootBoth(page, 'snapshot-schedule-set', ARTIFACTS);
    expect(await seriousAxeViolations(page)).toEqual([]);

    // The Dashboard lists every schedule of the host, this one with its next run, and
    // leads back to the VM's Snapshots tab.
    await page.evaluate(`location.hash = '#/dashboard'`);
    const listed = page.getByRole('region', { name: 'Snapshot schedules' }).locator(`[data-schedule="${VM}"]`);
    await expect(listed).toContainText('daily 02:30', { timeout: 15_000 });
    await expect(listed).toContainText(/next \S/);
    await listed.getByRole('link', { name: VM }).click();
    await expect(schedule).toHaveValue('daily 02:30', { timeout: 15_000 });

    await card.getByRole('button', { name: 'Prune now' }).click();
    const confirm = page.getByRole('alertdialog', { name: `Delete 1 snapshot of '${VM}'?` });
    await expect(confirm.locator('[data-prune]')).toHaveCount(1);
    await expect(confirm.locator('[data-prune="nv16s-a"]')).toContainText('keep_daily 1');
    await expect(confirm).toContainText('2 stay: ');
    await shootBoth(page, 'snapshot-schedule-prune-confirm', ARTIFACTS);
    await confirm.getByRole('button', { name: 'Prune now' }).click();
    await expect(page.getByText(`Pruned 1 snapshot of '${VM}'`)).toBeVisible({ timeout: 60_000 });

    await expect(vm.snapshot('nv16s-a')).toHaveCount(0);
    await expect(vm.snapshot('nv16s-b')).toBeVisible();
    await expect(vm.snapshot('nv16s-c')).toBeVisible();
    const left = await callOverWeb(nova.origin, nova.token, 'vm.snapshotList', { name: VM });
    expect(left.ok && (left.value as { snapshots: Array<{ name: string }> }).snapshots.map((s) => s.name)).toEqual(['nv16s-b', 'nv16s-c']);
    expect(pageProblems).toEqual([]);
  });
});
