// "Open in remote-viewer" for real: a stack of this spec's own whose `nova web` sits in an
// Xvfb session, a q35 test guest with VNC and SPICE, the button clicked in the page, and
// proof that the viewer connected (its own sockets are the SPICE socket's peers in the
// kernel's table) plus screenshots of the X screen and of the page. Viewer, VM, stack and
// Xvfb are removed whatever happens.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from '../helper/system-tests/fixtures/guest-serial.js';
import { screenshotUntilBusy, startXvfb, stopProcess } from '../helper/system-tests/fixtures/x-display.js';
import type { Envelope } from '../src-shared/errors.js';
import type { MethodName, ParamsIn } from '../src-shared/index.js';
import type { VmConsoleInfo } from '../src-shared/vm.js';
import { VmConsolesCard } from './pages/vm-consoles-card.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { test as base, expect } from './support/fixtures.js';
import { NovaStack, type NovaStackInfo } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const shot = (name: string) => ({ path: join(ARTIFACTS, `vm-spice-viewer-${name}.png`) });
const vmName = `nv3g-${randomBytes(3).toString('hex')}`;

interface ViewerStack {
  readonly info: NovaStackInfo;
  readonly display: string;
  /** Viewer pids to stop at the end (the page reports them; a sweep catches the rest). */
  readonly viewers: number[];
}

const test = base.extend<{ viewerStack: ViewerStack }>({
  // eslint-disable-next-line no-empty-pattern
  viewerStack: async ({}, use) => {
    const scratch = await mkdtemp(join(tmpdir(), 'nv3g-viewer-'));
    let xvfb: ChildProcess | null = null;
    let stack: NovaStack | null = null;
    let info: NovaStackInfo | null = null;
    const viewers: number[] = [];
    try {
      const x = await startXvfb(140, 240);
      xvfb = x.process;
      stack = new NovaStack({
        repoRoot: fileURLToPath(new URL('..', import.meta.url)),
        artifactsDir: ARTIFACTS,
        name: 'nv3g-spice-viewer',
        rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
        // main starts remote-viewer in its own session: this X display, logs in the scratch dir.
        webEnv: { DISPLAY: x.display, WAYLAND_DISPLAY: '', XDG_STATE_HOME: join(scratch, 'state') },
      });
      info = await stack.start();
      await use({ info, display: x.display, viewers });
    } finally {
      const runDir = info?.runDir;
      for (const pid of viewers) killQuietly(pid);
      if (info) {
        await callOverWeb(info.origin, info.token, 'vm.delete', { name: vmName, force: true }, 30_000).catch(() => undefined);
      }
      // VMs outlive their helper by design: anything of this stack's still running goes now.
      if (runDir) await killProcessesMentioning(runDir);
      try {
        await stack?.stop();
      } finally {
        if (xvfb) await stopProcess(xvfb);
        await rm(scratch, { recursive: true, force: true });
      }
    }
  },
});

let guest: TestGuest;

test.describe('Open in remote-viewer', () => {
  test.describe.configure({ timeout: 300_000 });

  test.beforeAll(async () => {
    test.setTimeout(320_000);
    guest = await ensureTestGuest();
  });

  test('opens the running VM in remote-viewer, which connects and shows the guest', async ({ page, viewerStack, pageProblems }) => {
    const { info, display } = viewerStack;
    const call = async <T, M extends MethodName = MethodName>(method: M, params: ParamsIn<M>): Promise<T> => {
      const r = (await callOverWeb(info.origin, info.token, method, params)) as Envelope<T>;
      if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
      return r.value;
    };
    await call('vm.create', {
      name: vmName,
      cpus: 1,
      memory: '256Mi',
      accel: 'tcg',
      // The bzImage: only the Linux boot protocol tells the kernel about the VGA text screen;
      // console=tty0 puts the boot on it, ttyS0 last keeps the shell on serial.
      kernel: guest.bzImage,
      initrd: guest.initrdPlain,
      cmdline: `console=tty0 ${guest.cmdline}`,
      display: 'both',
    });

    const list = new VmListPage(page);
    await list.open(info.url);
    await list.goTo('Virtual machines');
    await list.row(vmName).getByRole('link', { name: vmName }).click();
    const vm = new VmDetailPage(page, vmName);
    await expect(vm.heading).toHaveText(vmName);
    const consoles = new VmConsolesCard(page);
    await expect(consoles.card).toContainText('Start the VM to reach its consoles.');

    await vm.action('Start').click();
    await expect(vm.state).toHaveText('Running', { timeout: 120_000 });
    const consoleInfo = await call<VmConsoleInfo>('vm.consoleInfo', { name: vmName });
    const spiceSocket = consoleInfo.spice?.socket;
    if (!spiceSocket) throw new Error(`${vmName} runs without a SPICE socket: ${JSON.stringify(consoleInfo)}`);
    await expect(consoles.spiceCommand).toHaveText(`remote-viewer spice+unix://${spiceSocket}`);
    await waitForLogText(consoleInfo.serialLog, GUEST_READY_MARKER, 90_000);
    // Something of this run's on the guest's screen, typed on its serial shell, for the X screenshot.
    await writeOnGuestScreen(consoleInfo.serialSocket, `NOVA E2E SPICE ${vmName}`);

    await expect(consoles.openInViewer).toHaveText('Open in remote-viewer');
    await consoles.openInViewer.click();
    await expect(consoles.viewerOpened).toBeVisible({ timeout: 20_000 });
    const pid = await consoles.openedViewerPid();
    viewerStack.viewers.push(pid);
    await expect(consoles.viewerFailed).toHaveCount(0);
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline.slice(1)).toEqual(['--title', `${vmName} (Nova)`, `spice+unix://${spiceSocket}`, '']);

    // SPICE opens one connection per channel (main, display, inputs, cursor...): at least two
    // of the viewer's own sockets must be peers of QEMU's end of the SPICE socket.
    await expect.poll(() => viewerConnections(spiceSocket, pid), { timeout: 20_000, intervals: [250] }).toBeGreaterThanOrEqual(2);

    await mkdir(ARTIFACTS, { recursive: true });
    await screenshotUntilBusy(display, shot('xvfb').path);
    await page.screenshot(shot('page-light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('page-dark'));
    await page.emulateMedia({ colorScheme: 'light' });
    expect(pageProblems).toEqual([]);
  });
});

// ---- fixtures -------------------------------------------------------------------

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** SIGKILLs every QEMU and remote-viewer whose command line points into this stack's run dir. */
async function killProcessesMentioning(runDir: string): Promise<void> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(runDir) && (cmdline.includes('qemu-system') || cmdline.includes('remote-viewer'))) killQuietly(Number(entry));
  }
}

/**
 * How many of the viewer's sockets are connected to QEMU's end of the SPICE socket. QEMU runs
 * in the stack's network namespace, but the kernel makes a unix socket's accepted end in the
 * connecting side's namespace, so both ends are in this namespace's table.
 */
async function viewerConnections(spiceSocket: string, viewerPid: number): Promise<number> {
  const table = await execa('ss', ['-xHnp', 'state', 'connected'], { reject: false, timeout: 5000 });
  const rows = table.stdout.split('\n').map((line) => line.trim().split(/\s+/));
  // u_str ESTAB 0 0 LOCAL-ADDRESS LOCAL-INODE PEER-ADDRESS PEER-INODE users:((...)): QEMU's
  // accepted ends carry the path; the viewer's ends carry its pid.
  const peersOfQemu = new Set(rows.filter((cols) => cols[4] === spiceSocket).map((cols) => cols[7]));
  return rows.filter((cols) => cols.some((c) => c.includes(`pid=${viewerPid},`)) && peersOfQemu.has(cols[5])).length;
}

/** Clears the guest's first virtual terminal (what SPICE shows) and writes `text` there. */
async function writeOnGuestScreen(serialSocket: string, text: string): Promise<void> {
  const serial = await GuestSerial.connect(serialSocket);
  try {
    await waitForShell(serial, GUEST_PROMPT);
    await serial.run(`clear > /dev/tty1; echo '${text}' > /dev/tty1`, GUEST_PROMPT);
  } finally {
    serial.close();
  }
}

