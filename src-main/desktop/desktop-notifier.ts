// Sends Nova's notifications through org.freedesktop.Notifications on the session bus,
// since Electron's own notifications carry no action buttons on Linux. gdbus does the
// talking (as for the tray-host watch): `gdbus call` for Notify, and one `gdbus monitor`
// for ActionInvoked and NotificationClosed, which say which button was pressed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { NotificationActionKey, NovaNotification } from './notification-rules.js';
import type { ResourceRef } from '../../src-shared/operation.js';

export const NOTIFICATIONS = 'org.freedesktop.Notifications';
export const NOTIFICATIONS_PATH = '/org/freedesktop/Notifications';
const CALL_TIMEOUT_MS = 3_000;
/** The installed desktop entry, so the server shows Nova's name and icon. */
const DESKTOP_ENTRY = 'org.nova.Nova';

export interface DesktopNotifierOptions {
  env?: NodeJS.ProcessEnv;
}

export type ActionListener = (target: ResourceRef, key: NotificationActionKey) => void;

export class DesktopNotifier {
  private monitor: ChildProcess | null = null;
  private readonly sent = new Map<number, NovaNotification>();
  private readonly listeners = new Set<ActionListener>();
  private capabilities: Promise<readonly string[]> | null = null;

  constructor(private readonly options: DesktopNotifierOptions = {}) {}

  start(): this {
    const monitor = spawn('gdbus', ['monitor', '--session', '--dest', NOTIFICATIONS], {
      env: this.env,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    monitor.on('error', () => undefined); // no gdbus: notify() fails quietly too
    createInterface({ input: monitor.stdout! }).on('line', (line) => this.onSignal(line));
    this.monitor = monitor;
    return this;
  }

  onAction(listener: ActionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The server's id for it, or null when there is no notification server (nothing to do then). */
  async notify(notification: NovaNotification): Promise<number | null> {
    // Servers without "actions" would show the keys as text, or nothing; send none then.
    const withActions = (await this.serverCapabilities()).includes('actions');
    const actions = withActions ? notification.actions.flatMap((a) => [a.key, a.label]) : [];
    const args = [
      gvariantString('Nova'),
      'uint32 0',
      gvariantString(''),
      gvariantString(notification.summary),
      gvariantString(escapeMarkup(notification.body)),
      actions.length > 0 ? `[${actions.map(gvariantString).join(', ')}]` : '@as []',
      `{'desktop-entry': <${gvariantString(DESKTOP_ENTRY)}>, 'urgency': <byte ${notification.urgency === 'critical' ? 2 : 1}>}`,
      'int32 -1',
    ];
    const reply = await this.call('Notify', args).catch(() => null);
    const id = reply === null ? null : /^\(uint32 (\d+),\)$/.exec(reply.trim())?.[1];
    if (!id) return null;
    this.sent.set(Number(id), notification);
    return Number(id);
  }

  close(): void {
    this.listeners.clear();
    this.sent.clear();
    this.monitor?.kill('SIGTERM');
    this.monitor = null;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private serverCapabilities(): Promise<readonly string[]> {
    this.capabilities ??= this.call('GetCapabilities', [])
      .then((reply) => [...reply.matchAll(/'([^']*)'/g)].map((m) => m[1]!))
      .catch(() => {
        this.capabilities = null; // a server may start later: ask again next time
        return [];
      });
    return this.capabilities;
  }

  private call(method: string, args: string[]): Promise<string> {
    const argv = ['call', '--session', '--dest', NOTIFICATIONS, '--object-path', NOTIFICATIONS_PATH, '--method', `${NOTIFICATIONS}.${method}`, ...args];
    return new Promise((resolve, reject) => {
      execFile('gdbus', argv, { env: this.env, timeout: CALL_TIMEOUT_MS, cwd: '/' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
  }

  private onSignal(line: string): void {
    const invoked = /\.ActionInvoked \(uint32 (\d+), '([^'\\]*)'\)$/.exec(line);
    if (invoked) {
      const notification = this.sent.get(Number(invoked[1]));
      const key = notification?.actions.find((a) => a.key === invoked[2])?.key;
      if (notification && key) for (const l of this.listeners) l(notification.target, key);
      return;
    }
    const closed = /\.NotificationClosed \(uint32 (\d+), uint32 \d+\)$/.exec(line);
    if (closed) this.sent.delete(Number(closed[1]));
  }
}

/** A GVariant text string literal: gdbus parses every argument as GVariant text. */
export function gvariantString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Bodies may be read as markup by the server; Nova's texts are plain. */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
