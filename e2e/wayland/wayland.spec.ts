// Nova's UI on a Wayland desktop: web mode in Debian's Chromium as a native Wayland client
// of a headless sway, run as `nobody`. The compositor's own screenshot (grim) shows the
// UI; the VM console's "Fullscreen and capture keys" makes Chromium ask the compositor to
// inhibit its shortcuts only once fullscreen; and Super and Alt+Tab typed on a virtual
// keyboard (wtype) then reach the guest, which logs its keys on the serial console, where
// before they went to the compositor's own bindings.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ensureTestGuest } from '../../helper/system-tests/fixtures/guest-builder.js';
import type { MethodName, ParamsIn } from '../../src-shared/index.js';
import { ConsoleWindowPage } from '../pages/vm-pages.js';
import { expect, test } from '../support/fixtures.js';
import type { NovaStackInfo } from '../support/nova-stack.js';
import { callOverWeb } from '../support/web-api.js';
import { KEYLOG_READY, keylogInitramfs, loggedKeys } from './keylog-guest.js';
import { BACKGROUND_RGB, pixel, SCREEN, stopChild, SwaySession } from './sway-session.js';
import { WaylandChromium } from './wayland-chromium.js';
import { ALT_TAB, KEY, RETURN, SUPER, wtypeArgs } from './wtype-keys.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const RUN = randomBytes(3).toString('hex');
const VM = `nv13w-kbd-${RUN}`;
const INHIBIT = 'zwp_keyboard_shortcuts_inhibit_manager_v1.inhibit_shortcuts';
const FULLSCREEN = 'xdg_toplevel.set_fullscreen';

interface BrowserWindow {
  readonly innerWidth: number;
  readonly innerHeight: number;
  readonly document: { readonly fullscreenElement: unknown };
  getComputedStyle(el: unknown): { readonly backgroundColor: string };
}

async function api<M extends MethodName>(info: NovaStackInfo, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(info.origin, info.token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

test.describe('Wayland (headless sway)', () => {
  test.describe.configure({ mode: 'serial', timeout: 240_000 });
  let dir = '';
  let sway: SwaySession | null = null;
  let browser: WaylandChromium | null = null;

  test.beforeAll(async ({ nova }) => {
    // Room for the compositor and two tries at Chromium on a loaded machine.
    test.setTimeout(180_000);
    dir = join(nova.runDir, `nv13w-${RUN}`);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    sway = new SwaySession({ dir });
    await sway.start();
    browser = await WaylandChromium.launch(sway, nova.url, join(dir, 'chromium.log'));
  });

  test.afterAll(async ({ nova }) => {
    await api(nova, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
    await browser?.close();
    await sway?.stop();
    // The traces are kept beside the other artifacts; the rest goes.
    await mkdir(ARTIFACTS, { recursive: true });
    for (const name of ['chromium.log', 'chromium.log.2', 'sway/sway.log']) {
      await copyFile(join(dir, name), join(ARTIFACTS, `wayland-${name.replace('/', '-')}`)).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('the compositor shows the UI: grim reads the sidebar colour where the sidebar is', async () => {
    const page = await browser!.page();
    const sidebar = page.locator('.sidebar');
    await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible({ timeout: 30_000 });
    // Where the page's viewport sits on the screen: the app window fills the output (no
    // borders, no bar), so the viewport is its bottom-right part.
    const geo = await sidebar.evaluate((el) => {
      // e2e compiles without the DOM library: the window, as far as used here.
      const win = globalThis as unknown as BrowserWindow;
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height, bg: win.getComputedStyle(el).backgroundColor, innerWidth: win.innerWidth, innerHeight: win.innerHeight };
    });
    const rgb = /rgba?\((\d+), (\d+), (\d+)/.exec(geo.bg)?.slice(1).map(Number);
    expect(rgb, `the sidebar's background ${geo.bg}`).toHaveLength(3);
    const shot = await sway!.screenshot();
    expect([shot.width, shot.height]).toEqual([SCREEN.width, SCREEN.height]);
    const ox = SCREEN.width - geo.innerWidth;
    const oy = SCREEN.height - geo.innerHeight;
    // A column down the middle of the sidebar, below its brand and links.
    const x = Math.round(ox + geo.x + geo.w / 2);
    const matching = [0.7, 0.8, 0.9].map((f) => pixel(shot, x, Math.round(oy + geo.y + geo.h * f)));
    for (const p of matching) for (const [i, c] of p.entries()) expect(Math.abs(c - rgb![i]!)).toBeLessThanOrEqual(3);
    // Not blank, not the bare desktop: many colours, and the background nowhere in the window.
    const colours = new Set<number>();
    let background = 0;
    for (let i = 0; i < shot.rgb.length; i += 3 * 7) {
      colours.add((shot.rgb[i]! << 16) | (shot.rgb[i + 1]! << 8) | shot.rgb[i + 2]!);
      if (shot.rgb[i] === BACKGROUND_RGB[0] && shot.rgb[i + 1] === BACKGROUND_RGB[1] && shot.rgb[i + 2] === BACKGROUND_RGB[2]) background++;
    }
    expect(colours.size).toBeGreaterThan(20);
    expect(background).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'wayland-ui-page.png') });
  });

  test('console fullscreen inhibits the compositor shortcuts; Super and Alt+Tab reach the guest', async ({ nova }) => {
    const guest = await ensureTestGuest();
    const initrd = await keylogInitramfs(guest, join(nova.importDir, `nv13w-${RUN}`));
    await api(nova, 'vm.create', { name: VM, kernel: guest.vmlinux, initrd, cmdline: guest.cmdline, memory: '256Mi', accel: 'tcg', display: 'vnc' });
    await api(nova, 'vm.start', { name: VM });
    const { serialLog } = (await api(nova, 'vm.consoleInfo', { name: VM })) as { serialLog: string };
    const log = () => readFile(serialLog, 'utf8').catch(() => '');
    await expect.poll(log, { timeout: 90_000 }).toContain(KEYLOG_READY);
    const keysSince = async (from: number) => loggedKeys((await log()).slice(from));

    const page = await browser!.page();
    await page.goto(`${nova.origin}/console.html#${VM}`);
    const consoleWindow = new ConsoleWindowPage(page);
    await expect(consoleWindow.status).toHaveText('Connected', { timeout: 30_000 });

    // Chromium gets a keyboard when the seat has one: hold a virtual keyboard for the test,
    // created now that the window is up, so no key below races the browser binding it.
    const held: ChildProcess = sway!.spawnAsUser(['wtype', '-s', '600000'], {}, null);
    try {
      await browser!.waitForMessage('wl_keyboard.keymap', 20_000);
      const type = (steps: Parameters<typeof wtypeArgs>[0]) => sway!.wtype(wtypeArgs(steps));

      // Windowed: no inhibitor, and the compositor takes both shortcuts. Of Alt+Tab, the
      // guest gets Alt alone (the compositor's binding took Tab); of Super, nothing.
      expect(browser!.indexesOf(INHIBIT)).toEqual([]);
      const windowedFrom = (await log()).length;
      await type(SUPER);
      await expect.poll(() => existsSync(sway!.taken.superKey), { timeout: 10_000 }).toBe(true);
      await type(ALT_TAB);
      await expect.poll(() => existsSync(sway!.taken.altTab), { timeout: 10_000 }).toBe(true);
      const altAlone = [
        { code: KEY.Alt_L, value: 1 },
        { code: KEY.Alt_L, value: 0 },
      ];
      await expect.poll(async () => (await keysSince(windowedFrom)).filter((k) => k.value !== 2), { timeout: 30_000 }).toEqual(altAlone);
      expect(browser!.indexesOf(INHIBIT)).toEqual([]);

      // Fullscreen from the keyboard: Enter on the focused button is a user's gesture.
      await page.getByRole('button', { name: 'Fullscreen and capture keys' }).focus();
      await type(RETURN);
      const fullscreenAt = await browser!.waitForMessage(FULLSCREEN, 15_000);
      const inhibitAt = await browser!.waitForMessage(INHIBIT, 15_000);
      expect(inhibitAt).toBeGreaterThan(fullscreenAt);
      expect(browser!.indexesOf(INHIBIT)).toHaveLength(1);
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as BrowserWindow).document.fullscreenElement !== null), { timeout: 10_000 }).toBe(true);
      // What the compositor took while windowed never reached the guest, even late.
      expect((await keysSince(windowedFrom)).filter((k) => k.value !== 2)).toEqual(altAlone);

      // Fullscreen: the same keys go past the compositor, through noVNC, into the guest.
      await rm(sway!.taken.superKey);
      await rm(sway!.taken.altTab);
      const fullscreenFrom = (await log()).length;
      await type(SUPER);
      await type(ALT_TAB);
      const expected = [
        { code: KEY.Super_L, value: 1 },
        { code: KEY.Super_L, value: 0 },
        { code: KEY.Alt_L, value: 1 },
        { code: KEY.Tab, value: 1 },
        { code: KEY.Tab, value: 0 },
        { code: KEY.Alt_L, value: 0 },
      ];
      await expect.poll(async () => (await keysSince(fullscreenFrom)).filter((k) => k.value !== 2), { timeout: 30_000 }).toEqual(expected);
      expect(existsSync(sway!.taken.superKey)).toBe(false);
      expect(existsSync(sway!.taken.altTab)).toBe(false);
      const screen = await sway!.screenshot();
      expect([screen.width, screen.height]).toEqual([SCREEN.width, SCREEN.height]);
      await page.screenshot({ path: join(ARTIFACTS, 'wayland-console-fullscreen.png') });
    } finally {
      await stopChild(held);
    }
  });
});
