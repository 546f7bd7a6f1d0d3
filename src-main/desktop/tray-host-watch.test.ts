// The tray-host probe against a real session bus (dbus-run-session) and python-dbusmock
// standing in for the desktop's StatusNotifierWatcher.
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, startSessionBus, type SessionBus } from './testing/session-bus.js';
import { parseBooleanReply, probeTrayHost, SNI_WATCHER, SNI_WATCHER_PATH, TrayHostWatch } from './tray-host-watch.js';

const TEMPLATE = fileURLToPath(new URL('./testing/sni-watcher-template.py', import.meta.url));
const CHANGE_TIMEOUT_MS = 8_000;

function nextChange(watch: TrayHostWatch): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the tray-host watch noticed no change')), CHANGE_TIMEOUT_MS);
    const off = watch.onChange((present) => {
      clearTimeout(timer);
      off();
      resolve(present);
    });
  });
}

describe('parseBooleanReply', () => {
  it('reads gdbus replies', () => {
    expect(parseBooleanReply('(<true>,)\n')).toBe(true);
    expect(parseBooleanReply('(<false>,)\n')).toBe(false);
    expect(parseBooleanReply('')).toBe(false);
  });
});

describe('tray host on a real session bus', () => {
  let bus: SessionBus;
  let watch: TrayHostWatch | null = null;

  beforeEach(async () => {
    bus = await startSessionBus();
  });
  afterEach(async () => {
    watch?.close();
    watch = null;
    await bus.stop();
  });

  it('finds a host when a watcher with a registered host is on the bus', async () => {
    await bus.mock(TEMPLATE, SNI_WATCHER, { host: true });
    expect(await probeTrayHost({ env: bus.env })).toBe(true);
    watch = new TrayHostWatch({ env: bus.env }).start();
    await watch.ready;
    expect(watch.hostPresent).toBe(true);
  });

  it('chooses the fallback without a watcher, and with a watcher but no host', async () => {
    expect(await probeTrayHost({ env: bus.env })).toBe(false);
    await bus.mock(TEMPLATE, SNI_WATCHER, { host: false });
    watch = new TrayHostWatch({ env: bus.env }).start();
    await watch.ready;
    expect(watch.hostPresent).toBe(false);
  });

  it('chooses the fallback when there is no session bus at all', async () => {
    const env = { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/nv13e-bus' };
    expect(await probeTrayHost({ env })).toBe(false);
    watch = new TrayHostWatch({ env }).start();
    await watch.ready;
    expect(watch.hostPresent).toBe(false);
  });

  it('notices a watcher appearing, a host registering later, and the watcher going away', async () => {
    watch = new TrayHostWatch({ env: bus.env }).start();
    await watch.ready;
    expect(watch.hostPresent).toBe(false);

    const watcher = await bus.mock(TEMPLATE, SNI_WATCHER, { host: false });
    const registered = nextChange(watch);
    await run('gdbus', ['call', '--session', '--dest', SNI_WATCHER, '--object-path', SNI_WATCHER_PATH,
      '--method', `${SNI_WATCHER}.RegisterStatusNotifierHost`, 'org.kde.StatusNotifierHost-nv13e'], bus.env);
    expect(await registered).toBe(true);
    expect(watch.hostPresent).toBe(true);

    const gone = nextChange(watch);
    await watcher.stop();
    expect(await gone).toBe(false);
  });
});
