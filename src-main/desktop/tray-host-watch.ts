// Whether the desktop shows tray icons. Electron's Tray speaks StatusNotifierItem and,
// when no host exists (GNOME without the AppIndicator extension), falls back to an X11
// icon nobody sees; so main asks the session bus itself: is org.kde.StatusNotifierWatcher
// owned, and does it report IsStatusNotifierHostRegistered? `gdbus monitor` follows the
// watcher's owner (NameOwnerChanged) and its Host(Un)Registered signals, and every line
// it prints triggers a fresh probe. gdbus (GLib) is on every desktop that has a session
// bus, so this costs no D-Bus library in main.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const SNI_WATCHER = 'org.kde.StatusNotifierWatcher';
export const SNI_WATCHER_PATH = '/StatusNotifierWatcher';

const PROBE_TIMEOUT_MS = 3_000;

export interface TrayHostWatchOptions {
  /** The environment naming the session bus (DBUS_SESSION_BUS_ADDRESS); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** One question to the bus; any failure (no bus, no watcher, no gdbus) means no tray host. */
export function probeTrayHost(options: TrayHostWatchOptions = {}): Promise<boolean> {
  const argv = [
    'call', '--session', '--dest', SNI_WATCHER, '--object-path', SNI_WATCHER_PATH,
    '--method', 'org.freedesktop.DBus.Properties.Get', SNI_WATCHER, 'IsStatusNotifierHostRegistered',
  ];
  return new Promise((resolve) => {
    execFile('gdbus', argv, { env: options.env ?? process.env, timeout: PROBE_TIMEOUT_MS, cwd: '/' }, (err, stdout) => {
      resolve(!err && parseBooleanReply(stdout));
    });
  });
}

/** gdbus prints a Properties.Get reply as `(<true>,)`. */
export function parseBooleanReply(stdout: string): boolean {
  return /^\(<true>,\)$/.test(stdout.trim());
}

export class TrayHostWatch {
  private present = false;
  private monitor: ChildProcess | null = null;
  private probing = false;
  private again = false;
  private closed = false;
  private readonly listeners = new Set<(present: boolean) => void>();
  private firstAnswer!: () => void;
  /** Resolves once the first probe has answered (main waits for it, bounded, before its first window). */
  readonly ready = new Promise<void>((resolve) => (this.firstAnswer = resolve));

  constructor(private readonly options: TrayHostWatchOptions = {}) {}

  get hostPresent(): boolean {
    return this.present;
  }

  onChange(listener: (present: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): this {
    const monitor = spawn('gdbus', ['monitor', '--session', '--dest', SNI_WATCHER], {
      env: this.options.env ?? process.env,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.monitor = monitor;
    // Without gdbus or a session bus the monitor ends at once: the probe then says "no host".
    monitor.on('error', () => this.reprobe());
    monitor.on('exit', () => {
      this.monitor = null;
      this.reprobe();
    });
    createInterface({ input: monitor.stdout! }).on('line', () => this.reprobe());
    this.reprobe();
    return this;
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.monitor?.kill('SIGTERM');
    this.monitor = null;
  }

  /** One probe at a time; lines arriving during it cause exactly one more. */
  private reprobe(): void {
    if (this.closed) return;
    if (this.probing) {
      this.again = true;
      return;
    }
    this.probing = true;
    void probeTrayHost(this.options).then((present) => {
      this.probing = false;
      if (this.closed) return;
      this.firstAnswer();
      if (present !== this.present) {
        this.present = present;
        for (const l of this.listeners) l(present);
      }
      if (this.again) {
        this.again = false;
        this.reprobe();
      }
    });
  }
}
