// Notifications on a real session bus, with python-dbusmock's notification daemon.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../src-shared/operation.js';
import { DesktopNotifier, gvariantString, NOTIFICATIONS, NOTIFICATIONS_PATH } from './desktop-notifier.js';
import { notificationFor, type NotificationActionKey } from './notification-rules.js';
import { run, startSessionBus, type SessionBus } from './testing/session-bus.js';

const crashed = notificationFor({ name: 'vm.stateChanged', payload: { name: 'web', state: 'crashed', reason: 'QEMU exited with signal 9 <SIGKILL>' } }, true)!;
const ACTION_TIMEOUT_MS = 8_000;

describe('gvariantString', () => {
  it('quotes and escapes text for gdbus', () => {
    expect(gvariantString("it's a \\ test\n")).toBe("'it\\'s a \\\\ test\\n'");
  });
});

describe('DesktopNotifier on a real session bus', () => {
  let bus: SessionBus;
  let dir: string;
  let notifier: DesktopNotifier | null = null;

  beforeEach(async () => {
    bus = await startSessionBus();
    dir = await mkdtemp(join(tmpdir(), 'nv13e-notify-'));
  });
  afterEach(async () => {
    notifier?.close();
    notifier = null;
    await bus.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function calls(log: string, method: string): Promise<string[]> {
    return (await readFile(log, 'utf8')).split('\n').filter((l) => l.includes(` ${method} `));
  }

  it('a crash produces a notification with its text and an Open action; pressing it reports the VM', async () => {
    const log = join(dir, 'notifications.log');
    await bus.mock('notification_daemon', NOTIFICATIONS, { capabilities: 'body actions' }, log);
    notifier = new DesktopNotifier({ env: bus.env }).start();
    const pressed = new Promise<[ResourceRef, NotificationActionKey]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no action reported')), ACTION_TIMEOUT_MS);
      notifier!.onAction((target, key) => {
        clearTimeout(timer);
        resolve([target, key]);
      });
    });
    const id = await notifier.notify(crashed);
    expect(id).toBeGreaterThan(0);
    const [notify] = await calls(log, 'Notify');
    expect(notify).toContain('"VM web crashed"');
    expect(notify).toContain('"QEMU exited with signal 9 &lt;SIGKILL&gt;"');
    expect(notify).toMatch(/\["default", "Open"\]/);

    // The monitor subscribes asynchronously; the press is sent until the notifier hears it.
    const press = () =>
      run('gdbus', ['call', '--session', '--dest', NOTIFICATIONS, '--object-path', NOTIFICATIONS_PATH,
        '--method', 'org.freedesktop.DBus.Mock.EmitSignal', NOTIFICATIONS, 'ActionInvoked', 'us', `[<uint32 ${id}>, <'default'>]`], bus.env);
    let heard = false;
    void pressed.then(() => (heard = true), () => undefined);
    const deadline = Date.now() + ACTION_TIMEOUT_MS;
    while (!heard && Date.now() < deadline) {
      await press();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await pressed).toEqual([{ kind: 'vm', name: 'web' }, 'default']);
  });

  it("a capsule's OOM kill reaches the server as critical, saying why", async () => {
    const log = join(dir, 'notifications.log');
    await bus.mock('notification_daemon', NOTIFICATIONS, { capabilities: 'body actions' }, log);
    notifier = new DesktopNotifier({ env: bus.env }).start();
    const oom = notificationFor({ name: 'capsule.stateChanged', payload: { name: 'redis', state: 'stopped' } }, true, {
      capsuleExit: { exitCode: 137, signal: 'SIGKILL', reason: 'oom-killed', at: '2026-12-06T08:00:00.000Z' },
    })!;
    expect(await notifier.notify(oom)).toBeGreaterThan(0);
    const [notify] = await calls(log, 'Notify');
    expect(notify).toContain('"Capsule redis stopped"');
    expect(notify).toContain('"Killed by the kernel for running out of memory (OOM kill at its memory limit)."');
    expect(notify).toContain('"urgency": 2');
  });

  it('sends no action buttons to a server without the actions capability', async () => {
    const log = join(dir, 'notifications.log');
    await bus.mock('notification_daemon', NOTIFICATIONS, { capabilities: 'body' }, log);
    notifier = new DesktopNotifier({ env: bus.env }).start();
    expect(await notifier.notify(crashed)).toBeGreaterThan(0);
    const [notify] = await calls(log, 'Notify');
    expect(notify).toContain('"VM web crashed"');
    expect(notify).not.toContain('"Open"');
  });

  it('without a notification server, notify answers null and does not throw', async () => {
    notifier = new DesktopNotifier({ env: bus.env }).start();
    expect(await notifier.notify(crashed)).toBeNull();
  });
});
