// "Open in remote-viewer" for a saved host's VM, for real: two test hosts (the second reached
// by real OpenSSH), the first host's `nova web` in an Xvfb session, a q35 TCG guest with SPICE
// on the second. The button opens remote-viewer on a relay socket of this user's, whose SPICE
// channels each go through `ssh HOST nova connect --console spice VM`; the viewer's sockets
// are that relay's peers, and when the viewer goes, so do the relay's ssh channels.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { commandOf, processesMatching } from '../helper/system-tests/fixtures/frozen-child.js';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { startXvfb, stopProcess } from '../helper/system-tests/fixtures/x-display.js';
import { AppShell } from './pages/app-shell.js';
import { VmConsolesCard } from './pages/vm-consoles-card.js';
import { VmDetailPage } from './pages/vm-pages.js';
import { expect, test as base } from './support/fixtures.js';
import { remoteName, TwoTestHosts, type TwoHostsLayout } from './support/two-test-hosts.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const BASE_LAYOUT: TwoHostsLayout = { prefix: 'nv7u', firstAddress: '10.217.9.1', secondAddress: '10.217.9.2', sshPort: 2249 };
const CLOSET = remoteName(BASE_LAYOUT);
const VM = 'nv7u-spicy';
const LINK_MS = 30_000;

const test = base.extend<{ x: { display: string; scratch: string }; hosts: TwoTestHosts }>({
  // eslint-disable-next-line no-empty-pattern
  x: async ({}, use) => {
    const scratch = await mkdtemp(join(tmpdir(), 'nv7u-viewer-'));
    let xvfb: ChildProcess | null = null;
    try {
      const x = await startXvfb(240, 300);
      xvfb = x.process;
      await use({ display: x.display, scratch });
    } finally {
      if (xvfb) await stopProcess(xvfb);
      await rm(scratch, { recursive: true, force: true });
    }
  },
  hosts: async ({ x }, use) => {
    // main starts remote-viewer in its own session: this X display, its relay in a runtime dir of the test's.
    const webEnv = { DISPLAY: x.display, WAYLAND_DISPLAY: '', XDG_STATE_HOME: join(x.scratch, 'state'), XDG_RUNTIME_DIR: x.scratch };
    const hosts = await TwoTestHosts.start(REPO, ARTIFACTS, process.env.NOVA_E2E_RENDERER_DIR, { ...BASE_LAYOUT, webEnv });
    try {
      await use(hosts);
    } finally {
      for (const pid of await processesMatching(commandOf('remote-viewer', x.scratch))) killQuietly(pid);
      await hosts.stop();
    }
  },
  context: async ({ playwright, hosts, colorScheme, viewport }, use) => {
    await hosts.withBrowser(playwright.chromium, { colorScheme, viewport }, use);
  },
});

test("opens a saved host's VM's SPICE display in remote-viewer through ssh, and the relay ends with the viewer", async ({ page, hosts, x }) => {
  test.setTimeout(300_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  const guest = await ensureTestGuest();
  await hosts.nova(second, ['vm', 'create', VM, '--memory', '256Mi', '--accel', 'tcg', '--display', 'both', '--kernel', guest.bzImage, '--initrd', guest.initrdPlain, '--cmdline', `console=tty0 ${guest.cmdline}`]);
  await hosts.nova(second, ['vm', 'start', VM]);

  const shell = new AppShell(page);
  await shell.open(first.url);
  const switcher = page.getByRole('combobox', { name: 'Host' });
  await expect(switcher.locator('option', { hasText: `${CLOSET} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
  await switcher.selectOption(CLOSET);
  await shell.goTo('Virtual machines');
  await page.locator(`main[data-host="${CLOSET}"] tr[data-vm="${VM}"]`).getByRole('link', { name: VM }).click();
  await expect(new VmDetailPage(page, VM).state).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });

  // The socket is on the other host: the command for a shell here is the CLI's, which carries it the same way.
  const consoles = new VmConsolesCard(page);
  await expect(consoles.spiceCommand).toHaveText(`nova --host ${CLOSET} vm viewer ${VM}`);
  await consoles.openInViewer.click();
  await expect(consoles.viewerOpened).toBeVisible({ timeout: LINK_MS });
  await expect(consoles.viewerFailed).toHaveCount(0);
  const pid = await consoles.openedViewerPid();
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  expect(argv[2]).toBe(`${VM} on ${CLOSET} (Nova)`);
  const uri = argv[3] ?? '';
  expect(uri).toMatch(new RegExp(`^spice\\+unix://${x.scratch}/nova-spice-[A-Za-z0-9]+/spice\\.sock$`));
  const relaySocket = uri.slice('spice+unix://'.length);

  // The viewer's SPICE channels are the relay's peers, each carried by an ssh of its own.
  await expect.poll(() => viewerConnections(first.netns, relaySocket, pid), { timeout: LINK_MS, intervals: [500] }).toBeGreaterThanOrEqual(2);
  const channels = commandOf('ssh', '--console', 'spice', VM);
  expect((await processesMatching(channels)).length).toBeGreaterThanOrEqual(2);
  await page.screenshot({ path: test.info().outputPath('remote-spice-page.png') });

  // The viewer goes: so do the relay, its socket and every channel's ssh.
  process.kill(pid, 'SIGTERM');
  await expect.poll(async () => (await processesMatching(channels)).length, { timeout: 20_000, intervals: [500] }).toBe(0);
  await expect.poll(() => readFile(relaySocket).then(() => 'there', (e: NodeJS.ErrnoException) => e.code), { timeout: 10_000 }).toBe('ENOENT');
  await hosts.nova(second, ['vm', 'stop', VM, '--force']).catch(() => undefined);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** How many of the viewer's sockets are connected to the relay's socket, in the first host's namespace. */
async function viewerConnections(netns: string, relaySocket: string, viewerPid: number): Promise<number> {
  const table = await execa('ip', ['netns', 'exec', netns, 'ss', '-xHnp', 'state', 'connected'], { reject: false, timeout: 5000 });
  const rows = table.stdout.split('\n').map((line) => line.trim().split(/\s+/));
  // u_str ESTAB 0 0 LOCAL-ADDRESS LOCAL-INODE PEER-ADDRESS PEER-INODE users:((...)): the relay's
  // accepted ends carry its path; the viewer's ends carry its pid.
  const peersOfRelay = new Set(rows.filter((cols) => cols[4] === relaySocket).map((cols) => cols[7]));
  return rows.filter((cols) => cols.some((c) => c.includes(`pid=${viewerPid},`)) && peersOfRelay.has(cols[5])).length;
}
