// Choices and answers around the edges, in light and dark: a remembered web token that a
// new run of nova web no longer accepts brings the token page back saying so (and is
// forgotten); a project's Down asks through the shared confirmation, used by keyboard
// only, and answers with a toast; a running VM's snapshot may leave out its memory, and a
// stopped VM's choice is off with the reason.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell } from './pages/app-shell.js';
import { ProjectsPage } from './pages/projects-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { focusedElement, shootBoth } from './support/spec-tools.js';
import { callOverWeb, callOverWebOk } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
const PROJECT = `nv16n-p${RUN}`;
const NET = `nv16p${RUN}`;
const VM = `nv16n-vm-${RUN}`;
const OCTET = 200 + (parseInt(RUN, 16) % 40);

const focused = (page: Page) => focusedElement(page);
const shoot = (page: Page, name: string) => shootBoth(page, name, ARTIFACTS);

test.describe('Web token', () => {
  test('a remembered token Nova no longer accepts brings back the token page, saying so, and is forgotten', async ({ page, nova, pageProblems }) => {
    // As a browser that remembered the token of an earlier run of nova web.
    await page.goto(`${nova.origin}/`);
    await expect(page.getByRole('heading', { name: 'Nova needs its access token' })).toBeVisible();
    await page.evaluate(`localStorage.setItem('nova.webToken', 'nv16n-an-earlier-runs-token')`);
    // A new load (a hash change alone would keep the token page's document).
    await page.goto(`${nova.origin}/?from=bookmark#/networks`);
    await expect(page.getByRole('alert')).toContainText('The saved token no longer works', { timeout: 30_000 });
    await expect(page.getByRole('heading', { name: 'Nova needs its access token' })).toBeVisible();
    expect(await page.evaluate(`[localStorage.getItem('nova.webToken'), sessionStorage.getItem('nova.webToken')]`)).toEqual([null, null]);
    await shoot(page, 'token-page-stale');
    expect(await seriousAxeViolations(page)).toEqual([]);

    // The current address opens Nova again.
    await page.getByLabel('Access token or address').fill(nova.url);
    await page.getByRole('button', { name: 'Open Nova' }).click();
    await expect(new AppShell(page).connection).toContainText('Connected to Nova');
    // The browser logs the stale token's refused sockets; nothing else may be reported.
    expect(pageProblems.filter((p) => !/nova-ws/.test(p)), 'console errors or CSP violations').toEqual([]);
  });
});

test.describe('Project Down', () => {
  let dir = '';
  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'network.delete', { name: NET }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('asks through the confirmation by keyboard only, saying what goes, and answers with a toast', async ({ page, nova, pageProblems }) => {
    test.setTimeout(120_000);
    dir = await mkdtemp(join(tmpdir(), 'nv16n-project-'));
    const file = join(dir, 'NovaFile.toml');
    await writeFile(file, [`project = "${PROJECT}"`, '', `[network.${NET}]`, `subnet = "10.${OCTET}.5.0/24"`, ''].join('\n'));
    const projects = new ProjectsPage(page);
    await projects.openProject(nova.url, file);
    await expect(projects.planSummary).toHaveText('1 to create');
    await projects.applyButton.click();
    await expect(projects.runStatus).toHaveText(/^Applied 1 change\(s\)/, { timeout: 60_000 });
    execFileSync('ip', ['-n', nova.netns, 'link', 'show', 'dev', NET], { stdio: 'ignore', timeout: 10_000 });
    // The confirmation words come from the resources as last read: wait for the network to show there.
    await expect(projects.row('network', NET).locator('[data-cell="state"]')).not.toHaveText('absent');

    // Enter on Down asks; focus starts on "Keep running"; Escape cancels and gives focus back.
    await projects.downButton.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: `Down: project ${PROJECT}` });
    await expect(dialog).toContainText(`Networks deleted (one still used outside the project is kept): ${NET}.`);
    expect(await focused(page)).toBe('button:Keep running');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(projects.downButton).toBeFocused();

    // Again: Tab to the checkbox and tick it, the words and the button follow; untick it; confirm.
    await page.keyboard.press('Enter');
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Down');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^input:/);
    await page.keyboard.press('Space');
    await expect(dialog.getByRole('button', { name: 'Down and delete volumes' })).toBeVisible();
    await shoot(page, 'project-down-confirm');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Down');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: `Project ${PROJECT} is down` })).toContainText('0 stopped, 1 deleted, 0 kept', { timeout: 60_000 });
    await expect(projects.downButton).toBeFocused();
    expect(() => execFileSync('ip', ['-n', nova.netns, 'link', 'show', 'dev', NET], { stdio: 'ignore', timeout: 10_000 })).toThrow();
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });
});

test.describe('Snapshot memory', () => {
  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
  });

  test('"include memory" is a choice while the VM runs, and off with the reason while it is stopped', async ({ page, nova, pageProblems }) => {
    // Building the test guest the first time takes minutes; cached, a moment.
    test.setTimeout(320_000);
    const guest = await ensureTestGuest();
    await callOverWebOk(nova.origin, nova.token, 'vm.create', {
      name: VM, kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, memory: '128Mi', accel: 'tcg', display: 'none', network: 'none', diskSize: '32Mi',
    });
    const shell = new AppShell(page);
    await shell.open(`${nova.url}#/vms/${VM}/snapshots`);
    const form = page.getByRole('form', { name: 'Take a snapshot' });
    const memory = form.getByLabel('Include memory (RAM and device state)');
    await expect(memory).toBeDisabled();
    await expect(memory).not.toBeChecked();
    await expect(form).toContainText('Off: the VM is stopped, so there is no memory to keep.');
    await shoot(page, 'snapshot-memory-stopped');

    await callOverWebOk(nova.origin, nova.token, 'vm.start', { name: VM });
    await expect(memory).toBeEnabled({ timeout: 30_000 });
    await expect(memory).toBeChecked();
    await memory.uncheck();
    await expect(form).toContainText('the snapshot keeps its disks as they are at that moment');
    await form.getByLabel('Snapshot name').fill('nv16n-disks');
    await shoot(page, 'snapshot-memory-choice');
    await form.getByRole('button', { name: 'Take snapshot' }).click();
    await expect(page.getByRole('status').filter({ hasText: "Took snapshot 'nv16n-disks'" })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('treeitem').filter({ hasText: 'nv16n-disks' })).toContainText('disks only');
    const tree = (await callOverWebOk(nova.origin, nova.token, 'vm.snapshotList', { name: VM })) as { snapshots: Array<{ name: string; withMemory: boolean }> };
    expect(tree.snapshots.find((s) => s.name === 'nv16n-disks')?.withMemory).toBe(false);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });
});
