// Several hosts in the UI, against two real test hosts joined by a veth pair, the second
// reached by real OpenSSH: the switcher lists the saved host with its link, the VM list's
// All hosts view puts both hosts' guests in one table with a Host column, switching shows
// the saved host's guests, and a host whose sshd is killed shows as disconnected with its
// countdown while this machine's pages still load, then comes back when sshd does. A
// running guest of the saved host opens its VNC console, carried by a second ssh channel;
// its serial console replays what the guest printed before anyone connected, and a capsule
// there opens a shell in the Terminal tab, over ssh too.
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import { ensureTestGuest, GUEST_READY_MARKER } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell } from './pages/app-shell.js';
import { CapsulesPage } from './pages/capsule-page.js';
import { ConsoleWindowPage, VmDetailPage } from './pages/vm-pages.js';
import { expect } from './support/fixtures.js';
import { twoHostsTest } from './support/two-hosts-test.js';
import { REMOTE_HOSTS_LAYOUT, REMOTE_NAME } from './support/two-test-hosts.js';

const HERE_VM = 'nv6u-here';
const THERE_VM = 'nv6u-there';
const THERE_CAPSULE = 'nv6u-there-shell';
/** A new ssh connection and the helper's answer, plus the switcher's poll, on a busy machine. */
const LINK_MS = 30_000;
/** The longest backoff (30 s) plus a connection. */
const BACK_MS = 60_000;

const test = twoHostsTest(REMOTE_HOSTS_LAYOUT);

test('switches hosts, lists every host\'s guests with a Host column, and shows a lost host as disconnected without holding up this machine', async ({ page, hosts, pageProblems }, testInfo) => {
  test.setTimeout(240_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  await hosts.nova(first, ['vm', 'create', HERE_VM, '--memory', '64Mi', '--display', 'none']);
  await hosts.nova(second, ['vm', 'create', THERE_VM, '--memory', '64Mi', '--display', 'none']);

  const shell = new AppShell(page);
  await shell.open(first.url);
  const switcher = page.getByRole('combobox', { name: 'Host' });
  await expect(switcher.locator('option', { hasText: `${REMOTE_NAME} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
  await shell.goTo('Virtual machines');
  await expect(page.locator(`tr[data-vm="${HERE_VM}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-vm="${THERE_VM}"]`)).toHaveCount(0);

  // Every host's guests together, each row naming its host.
  await page.getByLabel('All hosts').check();
  const all = page.getByRole('table', { name: 'Virtual machines on all hosts' });
  await expect(all.locator(`tr[data-host="local"][data-vm="${HERE_VM}"] [data-column="host"]`)).toHaveText('this machine');
  await expect(all.locator(`tr[data-host="${REMOTE_NAME}"][data-vm="${THERE_VM}"] [data-column="host"]`)).toHaveText(REMOTE_NAME, { timeout: LINK_MS });
  await expect(all.locator(`tr[data-vm="${THERE_VM}"] [data-state]`)).toHaveAttribute('data-state', 'stopped');
  await page.screenshot({ path: testInfo.outputPath('all-hosts-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: testInfo.outputPath('all-hosts-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  // Opening a guest of the saved host switches the app there.
  await all.locator(`tr[data-vm="${THERE_VM}"] a`).click();
  await expect(switcher).toHaveValue(REMOTE_NAME);
  await expect(page.locator(`main[data-host="${REMOTE_NAME}"] h1`)).toHaveText(THERE_VM);
  await shell.goTo('Virtual machines');
  await expect(page.locator(`tr[data-vm="${THERE_VM}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-vm="${HERE_VM}"]`)).toHaveCount(0);

  // The saved host's ssh goes away: its pages say so and count down to the next try.
  await hosts.killSshd();
  const banner = page.locator('[data-host-link="disconnected"]');
  await expect(banner).toContainText(new RegExp(`${REMOTE_NAME} is disconnected, reconnecting in \\d+ s`), { timeout: LINK_MS });
  await expect(switcher.locator('option', { hasText: `${REMOTE_NAME} (disconnected)` })).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath('disconnected-light.png') });

  // This machine's pages are not held up by the dead host.
  await switcher.selectOption('local');
  const started = Date.now();
  await expect(page.locator(`main[data-host="local"] tr[data-vm="${HERE_VM}"]`)).toBeVisible({ timeout: 5_000 });
  expect(Date.now() - started).toBeLessThan(5_000);
  await expect(banner).toHaveCount(0);

  // sshd comes back: so does the host, within the longest backoff.
  await switcher.selectOption(REMOTE_NAME);
  await expect(banner).toBeVisible();
  await hosts.startSshd();
  await expect(banner).toHaveCount(0, { timeout: BACK_MS });
  await expect(page.locator(`main[data-host="${REMOTE_NAME}"] tr[data-vm="${THERE_VM}"]`)).toBeVisible({ timeout: LINK_MS });
  expect(pageProblems.filter((p) => !/WebSocket|Failed to load resource/.test(p))).toEqual([]);
});

test("opens a saved host's running TCG guest's VNC and serial consoles and a capsule's shell, carried over ssh", async ({ page, context, hosts }, testInfo) => {
  test.setTimeout(300_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  const guest = await ensureTestGuest();
  await hosts.nova(second, ['vm', 'create', THERE_VM, '--memory', '256Mi', '--accel', 'tcg', '--kernel', guest.vmlinux, '--initrd', guest.initrdAcpi, '--cmdline', guest.cmdline]);
  await hosts.nova(second, ['vm', 'start', THERE_VM]);

  const shell = new AppShell(page);
  await shell.open(first.url);
  const switcher = page.getByRole('combobox', { name: 'Host' });
  await expect(switcher.locator('option', { hasText: `${REMOTE_NAME} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
  await switcher.selectOption(REMOTE_NAME);
  await shell.goTo('Virtual machines');
  const row = page.locator(`main[data-host="${REMOTE_NAME}"] tr[data-vm="${THERE_VM}"]`);
  await expect(row.locator('[data-state]')).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });
  const [popup] = await Promise.all([context.waitForEvent('page'), row.getByRole('button', { name: `Open console of ${THERE_VM}` }).click()]);
  expect(new URL(popup.url()).hash).toBe(`#${THERE_VM}@${REMOTE_NAME}`);
  const consoleWindow = new ConsoleWindowPage(popup);
  await expect(consoleWindow.status).toHaveText('Connected', { timeout: LINK_MS });
  // The guest's screen arrives: the canvas is drawn, not blank.
  await expect.poll(() => consoleWindow.screenVariance(), { timeout: LINK_MS }).toBeGreaterThan(0);
  await popup.screenshot({ path: testInfo.outputPath('remote-console.png') });
  await popup.close();

  // Its serial console too: what the guest printed while nobody watched is replayed first,
  // then a live round trip with its shell, over the same kind of channel.
  await expect.poll(async () => (await hosts.nova(second, ['logs', 'vm', THERE_VM])).includes(GUEST_READY_MARKER), { timeout: 120_000 }).toBe(true);
  await row.locator('a.vm-table__name').click();
  const vm = new VmDetailPage(page, THERE_VM);
  await vm.tab('Serial console');
  await expect(page.getByRole('status').filter({ hasText: 'Connected to ttyS0' })).toBeVisible({ timeout: LINK_MS });
  await expect(vm.serialTerminal).toContainText(GUEST_READY_MARKER, { timeout: LINK_MS });
  await vm.serialTerminal.click();
  await expect(async () => {
    await page.keyboard.type('echo nv6u-$((6*7))\r');
    await expect(vm.serialTerminal).toContainText('nv6u-42', { timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  await hosts.nova(second, ['vm', 'stop', THERE_VM, '--force']).catch(() => undefined);

  // A capsule of the saved host: its Terminal tab opens a shell there, sized to the page.
  await hosts.nova(second, ['image', 'import', await makeBusyboxRootfs(second.importDir), 'nv6u-busybox']);
  await hosts.nova(second, ['capsule', 'create', THERE_CAPSULE, '--image', 'nv6u-busybox', '--', 'sleep', '600']);
  await hosts.nova(second, ['capsule', 'start', THERE_CAPSULE]);
  const capsules = new CapsulesPage(page);
  await capsules.goTo('Capsules');
  await page.locator(`main[data-host="${REMOTE_NAME}"]`).getByRole('link', { name: THERE_CAPSULE }).click();
  await capsules.tab('Terminal').click();
  await expect(capsules.terminalStatus).toHaveText('Shell open', { timeout: LINK_MS });
  await expect(capsules.terminal.locator('.xterm-rows')).toContainText('/ #', { timeout: LINK_MS });
  await capsules.terminal.click();
  // The shell runs there, and at the page's width: the proxy sent the terminal's size first.
  await page.keyboard.type('echo nv6u-$((6*7)) $(stty size)\n');
  await expect(capsules.terminal.locator('.xterm-rows > div', { hasText: /^\s*nv6u-42 \d+ \d+\s*$/ })).toHaveCount(1, { timeout: LINK_MS });
  const answer = (await capsules.terminal.locator('.xterm-rows > div', { hasText: /^\s*nv6u-42 / }).innerText()).trim().split(/\s+/);
  expect(Number(answer[1])).toBe(await capsules.terminal.locator('.xterm-rows > div').count());
  await page.screenshot({ path: testInfo.outputPath('remote-capsule-terminal.png') });
  await page.keyboard.type('exit\n');
  await expect(capsules.terminalStatus).toHaveText('Disconnected: the shell exited with 0', { timeout: LINK_MS });
  await hosts.nova(second, ['capsule', 'rm', THERE_CAPSULE, '--force']).catch(() => undefined);
});
