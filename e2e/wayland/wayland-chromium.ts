// Debian's Chromium as a native Wayland client of a SwaySession (`--ozone-platform=wayland`,
// headed: headless mode ignores ozone), run as the session's user with WAYLAND_DEBUG=1 so
// the requests it makes to the compositor can be checked. The browser is ours (not
// Playwright's launch), so its stderr, where both the DevTools address and the protocol
// trace go, is ours too; Playwright attaches over CDP to drive the page.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/fixtures.js';
import { stopChild, type SwaySession } from './sway-session.js';

const WAYLAND_ARGS = [...CHROMIUM_ARGS, '--ozone-platform=wayland', '--remote-debugging-port=0'];

/** One message between the browser and the compositor, in trace order. */
export interface WaylandMessage {
  /** "request": browser to compositor; "event": compositor to browser. */
  readonly direction: 'request' | 'event';
  /** e.g. "xdg_toplevel.set_fullscreen" or "zwp_keyboard_shortcuts_inhibit_manager_v1.inhibit_shortcuts". */
  readonly name: string;
}

// libwayland's trace: "[time]  -> interface#id.request(args)" for requests, without the
// arrow for events ("@id" instead of "#id" in older builds; Chromium's GPU process has one).
const TRACE_LINE = /^\[[\d.:]+\]\s+(?:\{[^}]*\}\s+)?(->\s+)?(\w+)[#@]\d+\.(\w+)\(/;
const DEVTOOLS_LINE = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/;

export class WaylandChromium {
  readonly messages: WaylandMessage[] = [];
  private browser: Browser | null = null;
  private process: ChildProcess | null = null;
  private log: WriteStream | null = null;

  private constructor(private readonly session: SwaySession) {}

  /** Starts Chromium showing `url` as an app window and attaches Playwright to it. */
  static async launch(session: SwaySession, url: string, logPath: string, timeoutMs = 45_000, attempts = 2): Promise<WaylandChromium> {
    // On a loaded two-core machine Chromium now and then accepts the DevTools connection but
    // never answers the attach of its app page; a fresh browser then does. Each attempt's log
    // is kept apart, so a failure still shows every try.
    for (let attempt = 1; ; attempt++) {
      const self = new WaylandChromium(session);
      const log = attempt === 1 ? logPath : `${logPath}.${attempt}`;
      try {
        await self.start(url, log, timeoutMs);
        return self;
      } catch (err) {
        await self.close();
        if (attempt >= attempts) throw err;
        console.warn(`Chromium on Wayland, attempt ${attempt} of ${attempts}: ${(err as Error).message.split('\n')[0]}; starting it again`);
      }
    }
  }

  private async start(url: string, logPath: string, timeoutMs: number): Promise<void> {
    const profile = join(this.session.home, 'chromium-profile');
    await mkdir(profile, { recursive: true, mode: 0o700 });
    await chown(profile, this.session.user.uid, this.session.user.gid);
    this.log = createWriteStream(logPath);
    const child = this.session.spawnAsUser([CHROMIUM, ...WAYLAND_ARGS, `--user-data-dir=${profile}`, `--app=${url}`], { WAYLAND_DEBUG: '1' }, this.log);
    this.process = child;
    let endpoint: string | null = null;
    if (!child.stderr) throw new Error('Chromium was started without a stderr pipe');
    createInterface({ input: child.stderr }).on('line', (line) => {
      const m = TRACE_LINE.exec(line);
      if (m) this.messages.push({ direction: m[1] ? 'request' : 'event', name: `${m[2]}.${m[3]}` });
      endpoint ??= DEVTOOLS_LINE.exec(line)?.[1] ?? null;
    });
    const deadline = Date.now() + timeoutMs;
    while (!endpoint) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Chromium exited (${child.exitCode ?? child.signalCode}) before it listened for DevTools; see ${logPath}`);
      if (Date.now() > deadline) throw new Error(`Chromium printed no DevTools address within ${timeoutMs} ms; see ${logPath}`);
      await sleep(100);
    }
    // No default overrides: Playwright's focus emulation would keep fullscreen inside the tab.
    this.browser = await chromium.connectOverCDP(endpoint, { timeout: timeoutMs, noDefaults: true });
  }

  /** The app window's page (the first that is not a background page). */
  async page(timeoutMs = 20_000): Promise<Page> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const page = this.browser?.contexts().flatMap((c) => c.pages())[0];
      if (page) return page;
      if (Date.now() > deadline) throw new Error(`Chromium showed no page within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Where in the trace each message named `name` sits (request or event). */
  indexesOf(name: string): number[] {
    const out: number[] = [];
    this.messages.forEach((m, i) => m.name === name && out.push(i));
    return out;
  }

  /** Until the trace holds `name` at least `count` times; resolves with the last one's index. Bounded. */
  async waitForMessage(name: string, timeoutMs: number, count = 1): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.indexesOf(name);
      if (found.length >= count) return found[count - 1]!;
      if (Date.now() > deadline) throw new Error(`no ${name} in Chromium's Wayland trace within ${timeoutMs} ms (seen ${found.length})`);
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    // Detach only: the browser is ours to stop, by pid.
    await this.browser?.close().catch(() => undefined);
    this.browser = null;
    if (this.process) await stopChild(this.process);
    this.process = null;
    await new Promise<void>((done) => (this.log ? this.log.end(done) : done()));
    this.log = null;
  }
}
