// The app shell: sidebar navigation by mouse and by keyboard, the sections that are
// not built yet saying so (none is left since Devices landed), and the connection
// indicator in words.
import { AppShell, SECTIONS } from './pages/app-shell.js';
import { ComingSoonPage } from './pages/coming-soon-page.js';
import { expect, test } from './support/fixtures.js';

// Sections whose pages have not landed yet; the others have specs of their own.
const BUILT = new Set(['Dashboard', 'Host', 'Hosts', 'Projects', 'Virtual machines', 'Networks', 'Capsules', 'Images', 'Devices']);
const COMING = SECTIONS.filter((s) => !BUILT.has(s));

test.describe('navigation', () => {
  test('every sidebar section opens, and the unfinished ones say they are coming', async ({ page, nova, pageProblems }) => {
    const shell = new ComingSoonPage(page);
    await shell.open(nova.url);
    await expect(shell.heading).toHaveText('Dashboard');
    await expect(shell.link('Dashboard')).toHaveAttribute('aria-current', 'page');

    for (const section of COMING) {
      await shell.goTo(section);
      await expect(shell.heading).toHaveText(section);
      await expect(shell.link(section)).toHaveAttribute('aria-current', 'page');
      await expect(shell.notice(section)).toBeVisible();
      await expect(shell.notice(section)).toContainText('Coming soon');
      await expect(page).toHaveTitle(`${section} · Nova`);
    }

    await shell.goTo('Host');
    await expect(shell.heading).toHaveText('Host');
    expect(pageProblems).toEqual([]);
  });

  test('the sidebar works from the keyboard alone, and focus lands on the new page', async ({ page, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.heading).toHaveText('Dashboard');

    const link = await shell.tabTo('Networks');
    // The focus ring is visible, not just present.
    await expect(link).toHaveCSS('outline-style', 'solid');
    await page.keyboard.press('Enter');
    await expect(shell.heading).toHaveText('Networks');
    await expect(shell.heading).toBeFocused();
    await expect(page).toHaveURL(/#\/networks$/);
  });

  test('a reload keeps the section, and the token has left the address bar', async ({ page, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.heading).toHaveText('Dashboard');
    expect(page.url()).not.toContain('token=');
    await shell.goTo('Devices');
    await page.reload();
    // The reload finds the token the tab kept.
    await expect(shell.heading).toHaveText('Devices');
  });

  test('the connection indicator says, in words, that Nova and the helper are connected', async ({ page, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    await expect(shell.connection).toContainText('Helper connected');
  });
});
