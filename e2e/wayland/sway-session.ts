// A headless sway for the Wayland specs, run as an unprivileged user (sway refuses root)
// with a private 0700 XDG_RUNTIME_DIR, plus the clients a test drives it with: grim for
// the compositor's own screenshots, wtype for a virtual keyboard. Every wait is bounded;
// stop() kills what start() spawned, by pid, and is safe after a failed start.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The unprivileged account sway and Chromium run as (sway refuses root). */
export interface DesktopUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const NOBODY: DesktopUser = { name: 'nobody', uid: 65534, gid: 65534 };

export const SCREEN = { width: 1280, height: 800 } as const;
/** Sway's background: what the screen shows where no window is. */
export const BACKGROUND_RGB = [0x20, 0x40, 0x60] as const;

export interface SwayOptions {
  /** A run dir owned by the test (removed by it); sway's files go in `<dir>/sway`. */
  readonly dir: string;
  readonly user?: DesktopUser;
  readonly timeoutMs?: number;
}

/** Files sway's bindings create when the compositor, not the focused window, took a shortcut. */
export interface TakenMarkers {
  readonly superKey: string;
  readonly altTab: string;
}

export class SwaySession {
  readonly user: DesktopUser;
  readonly runtimeDir: string;
  readonly home: string;
  readonly taken: TakenMarkers;
  private sway: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private readonly children = new Set<ChildProcess>();
  /** The socket sway picked in its runtime dir (wayland-N, the first free). */
  private socket = '';

  constructor(private readonly options: SwayOptions) {
    this.user = options.user ?? NOBODY;
    this.runtimeDir = join(options.dir, 'sway', 'xdg');
    this.home = join(options.dir, 'sway', 'home');
    this.taken = { superKey: join(this.home, 'compositor-took-super'), altTab: join(this.home, 'compositor-took-alt-tab') };
  }

  /** The environment of a Wayland client of this session (nothing else leaks in). */
  clientEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: '/usr/bin:/bin',
      HOME: this.home,
      XDG_RUNTIME_DIR: this.runtimeDir,
      WAYLAND_DISPLAY: this.socket,
      ...extra,
    };
  }

  async start(): Promise<void> {
    const base = join(this.options.dir, 'sway');
    await mkdir(this.runtimeDir, { recursive: true, mode: 0o700 });
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    for (const d of [base, this.runtimeDir, this.home]) await chown(d, this.user.uid, this.user.gid);
    const config = join(base, 'config');
    await writeFile(config, swayConfig(this.taken), { mode: 0o644 });
    this.log = createWriteStream(join(base, 'sway.log'));
    this.sway = this.spawnAsUser(['sway', '--config', config], {
      WLR_BACKENDS: 'headless',
      WLR_LIBINPUT_NO_DEVICES: '1',
      // No GPU here: wlroots' software renderer.
      WLR_RENDERER: 'pixman',
    }, this.log);
    // The runtime dir is private to this session, so the only socket in it is sway's.
    await waitUntil(`sway's socket in ${this.runtimeDir}`, this.options.timeoutMs ?? 20_000, this.sway, async () => {
      this.socket = (await readdir(this.runtimeDir)).find((f) => /^wayland-\d+$/.test(f)) ?? '';
      return this.socket !== '';
    });
  }

  /** Runs a Wayland client of this session as the desktop user; resolves with its exit code and output. */
  run(argv: string[], timeoutMs = 20_000, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
    const child = this.spawnAsUser(argv, extraEnv, null);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${argv.join(' ')} did not finish within ${timeoutMs} ms: ${output}`));
      }, timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  /** A long-running client (a browser, a held virtual keyboard); stop() ends it if the test did not. */
  spawnAsUser(argv: string[], extraEnv: Record<string, string>, log: WriteStream | null): ChildProcess {
    const env = this.clientEnv(extraEnv);
    // setpriv rather than su: no PAM, no login shell, exactly this environment.
    const args = ['--reuid', String(this.user.uid), '--regid', String(this.user.gid), '--clear-groups', 'env', '-i', ...Object.entries(env).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`), ...argv];
    const child = spawn('setpriv', args, { cwd: this.home, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    if (log) {
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
    }
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** The whole screen as the compositor draws it, read back by grim (binary PPM). */
  async screenshot(): Promise<Ppm> {
    const file = join(this.home, `screen-${Date.now()}.ppm`);
    const r = await this.run(['grim', '-t', 'ppm', file]);
    if (r.code !== 0) throw new Error(`grim failed (${r.code}): ${r.output}`);
    return parsePpm(await readFile(file));
  }

  /** Types with a virtual keyboard (wtype); throws with wtype's words when it fails. */
  async wtype(args: string[]): Promise<void> {
    const r = await this.run(['wtype', ...args]);
    if (r.code !== 0) throw new Error(`wtype failed (${r.code}): ${r.output}`);
  }

  async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) await stopChild(child);
    this.sway = null;
    await new Promise<void>((done) => (this.log ? this.log.end(done) : done()));
    this.log = null;
  }
}

function swayConfig(taken: TakenMarkers): string {
  // The shortcuts a desktop takes for itself: Super (a launcher) and Alt+Tab (switching
  // windows). They touch a file, so a test sees whether the compositor or the app got them.
  return `output HEADLESS-1 resolution ${SCREEN.width}x${SCREEN.height} bg #${BACKGROUND_RGB.map((c) => c.toString(16).padStart(2, '0')).join('')} solid_color
xwayland disable
default_border none
bindsym Super_L exec touch ${taken.superKey}
bindsym Mod1+Tab exec touch ${taken.altTab}
`;
}

export interface Ppm {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes a pixel. */
  readonly rgb: Buffer;
}

export function parsePpm(data: Buffer): Ppm {
  // "P6\n<w> <h>\n<max>\n" then the pixels; grim writes no comments.
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  const [all, w, h, max] = header;
  if (max !== '255') throw new Error(`PPM with max ${max}, expected 255`);
  const width = Number(w);
  const height = Number(h);
  const rgb = data.subarray(all.length);
  if (rgb.length < width * height * 3) throw new Error(`PPM of ${width}x${height} holds only ${rgb.length} bytes`);
  return { width, height, rgb };
}

export function pixel(img: Ppm, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
}

async function waitUntil(what: string, timeoutMs: number, child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${what} appeared`);
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not appear within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after a bounded grace; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(graceMs)]);
}
