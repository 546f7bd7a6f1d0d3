// The command palette, from the keyboard alone: Ctrl+K opens it over any page, typing
// filters every action by name, arrows move the choice, Enter runs it (a page, a create
// form, starting and stopping a real capsule), Escape closes it and focus returns to
// where it was. Screenshots of the open palette in light and dark.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import type { MethodName, ParamsIn } from '../src-shared/index.js';
import { CapsulesPage } from './pages/capsule-page.js';
import { CommandPaletteDialog } from './pages/command-palette.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
const CAPSULE = `nv13d-pal-${RUN}`;
const IMAGE = `nv13d-busybox-${RUN}`;
const WORK_DIR = join(TEST_GUEST_CACHE, `nv13d-pal-${RUN}`);

async function api<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

test.describe('Command palette', () => {
  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    await mkdir(WORK_DIR, { recursive: true });
    await api(nova.origin, nova.token, 'ociImage.import', { path: await makeBusyboxRootfs(WORK_DIR), name: IMAGE });
    await api(nova.origin, nova.token, 'capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '600'] });
  });

  test.afterAll(async ({ nova }) => {
    await api(nova.origin, nova.token, 'capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: IMAGE }).catch(() => undefined);
    await rm(WORK_DIR, { recursive: true, force: true });
  });

  test('runs actions by name with the keyboard alone and gives focus back', async ({ page, nova, pageProblems }) => {
    test.setTimeout(120_000);
    const capsules = new CapsulesPage(page);
    const palette = new CommandPaletteDialog(page);
    await capsules.open(nova.url);
    await expect(capsules.heading).toHaveText('Dashboard');

    // Escape closes it and focus is back on the link it was on.
    const hostLink = await capsules.tabTo('Host');
    await palette.openWithKeyboard();
    await expect(palette.dialog).toBeVisible();
    await expect(palette.field).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(palette.dialog).toBeHidden();
    await expect(hostLink).toBeFocused();

    // Typing filters; the arrows move the choice; Enter goes there.
    await palette.openWithKeyboard();
    await palette.type('go to net');
    await expect(palette.options).toHaveText([/^Go to Networks/]);
    await page.keyboard.press('Enter');
    await expect(capsules.heading).toHaveText('Networks');
    await palette.openWithKeyboard();
    await palette.type('create');
    await expect(palette.active).toContainText('Create a virtual machine');
    await page.keyboard.press('ArrowDown');
    await expect(palette.active).toContainText('Create a capsule');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#\/vms\/new$/);

    // A real capsule: started and stopped by name.
    await capsules.goToByKeyboard('Capsules');
    await expect(capsules.row(CAPSULE)).toContainText(/stopped|created/i);
    await palette.openWithKeyboard();
    await palette.type(`start capsule ${CAPSULE}`);
    await expect(palette.active).toHaveText(new RegExp(`^Start capsule ${CAPSULE}`));
    await page.screenshot({ path: new URL('command-palette-light.png', ARTIFACTS).pathname });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: new URL('command-palette-dark.png', ARTIFACTS).pathname });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Enter');
    await expect(palette.dialog).toBeHidden();
    await expect(capsules.row(CAPSULE)).toContainText('Running', { timeout: 30_000 });
    await palette.openWithKeyboard();
    await palette.type(`stop ${CAPSULE}`);
    await expect(palette.active).toHaveText(new RegExp(`^Stop capsule ${CAPSULE}`));
    await page.keyboard.press('Enter');
    await expect(capsules.row(CAPSULE)).toContainText(/stopped/i, { timeout: 30_000 });

    // Nothing matches: said so, and Enter does nothing.
    await palette.openWithKeyboard();
    await palette.type('zzz-nothing');
    await expect(palette.dialog).toContainText('No command matches');
    await page.keyboard.press('Enter');
    await expect(palette.dialog).toBeVisible();
    await page.keyboard.press('Escape');
    expect(pageProblems).toEqual([]);
  });
});
