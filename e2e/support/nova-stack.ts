// Starts the real Nova stack for end-to-end tests: the privileged helper on a private
// socket and state dir, and `nova web` in front of it, all under one `nv2e-` temp dir.
// Every wait is bounded; stop() is safe to call at any point, also after a failed start.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const RUN_PREFIX = 'nv2e-';

export interface NovaStackInfo {
  /** The URL `nova web` printed, token included. */
  readonly url: string;
  /** http://127.0.0.1:PORT: the only Origin and Host the server accepts. */
  readonly origin: string;
  readonly token: string;
  /** The per-run temp dir; browser profiles go here too, so one rm cleans all. */
  readonly runDir: string;
  /** The network namespace the helper runs in (its bridges live there: `ip -n NETNS link`). */
  readonly netns: string;
  /** A folder the helper may import disks from: specs put the files they import here. */
  readonly importDir: string;
  /** The helper's state dir, to check what an operation left behind. */
  readonly stateDir: string;
  /** The helper's socket, for a second `nova web` in front of the same helper. */
  readonly socket: string;
}

export interface NovaStackOptions {
  readonly repoRoot: string;
  /** Where the helper's and web mode's logs are copied when the stack stops. */
  readonly artifactsDir: string;
  /** Prefix of the copied logs (`<name>-helper.log`), so two stacks keep theirs apart. */
  readonly name: string;
  readonly rendererDir?: string;
  readonly startTimeoutMs?: number;
  /** Extra environment for `nova web` alone, e.g. the DISPLAY of the remote-viewer it starts. */
  readonly webEnv?: Readonly<Record<string, string>>;
  /** Extra environment for the helper alone, e.g. NOVA_TEST_DEVICE_ROOT for a fake device host. */
  readonly helperEnv?: Readonly<Record<string, string>>;
  /** Runs `nova web` in the helper's network namespace too, as a test host's own web server. */
  readonly webInNetns?: boolean;
}

const STOP_GRACE_MS = 5_000;

interface Paths {
  readonly runDir: string;
  readonly socket: string;
  readonly stateDir: string;
  readonly helperScript: string;
  readonly cliScript: string;
  readonly netns: string;
  readonly importDir: string;
}

/** Test guests (kernel, initramfs) are built once and cached here; the helper may read them. */
export const TEST_GUEST_CACHE = '/var/cache/nova-test-guest';

export class NovaStack {
  private helper: ChildProcess | null = null;
  private web: ChildProcess | null = null;
  private logs: WriteStream[] = [];
  private paths: Paths | null = null;
  private readonly onExit = (): void => this.killNow();

  constructor(private readonly options: NovaStackOptions) {}

  private get timeoutMs(): number {
    return this.options.startTimeoutMs ?? 30_000;
  }

  async start(): Promise<NovaStackInfo> {
    const { repoRoot } = this.options;
    const helperScript = join(repoRoot, 'out/helper/nova-helper.mjs');
    const cliScript = join(repoRoot, 'out/cli/nova.mjs');
    const rendererIndex = join(this.options.rendererDir ?? join(repoRoot, 'out/renderer'), 'index.html');
    for (const file of [helperScript, cliScript, rendererIndex]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" before the end-to-end tests`);
    }

    // A crash of the test runner must not leave a root daemon behind.
    process.once('exit', this.onExit);
    const runDir = await mkdtemp(join(tmpdir(), RUN_PREFIX));
    // Searchable like /var/lib: capsules' shifted roots and user QEMUs must reach the state dir.
    await chmod(runDir, 0o755);
    const netns = `nv2e${basename(runDir).slice(RUN_PREFIX.length).toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 15);
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const paths: Paths = {
      netns,
      runDir,
      socket: join(runDir, 'helper.sock'),
      stateDir: join(runDir, 'state'),
      helperScript,
      cliScript,
      importDir: join(runDir, 'imports'),
    };
    this.paths = paths;
    await mkdir(paths.importDir, { mode: 0o755 });

    try {
      await this.startHelper();
      const webArgs = [cliScript, '--socket', paths.socket, '--state-dir', paths.stateDir, '--no-autostart', 'web', '--port', '0'];
      if (this.options.rendererDir) webArgs.push('--renderer-dir', resolve(this.options.rendererDir));
      this.web = this.spawnLogged('web', webArgs, this.options.webInNetns ? netns : undefined);
      const url = await readPrintedUrl(this.web, this.timeoutMs);
      const parsed = new URL(url);
      const token = parsed.searchParams.get('token');
      if (!token) throw new Error(`nova web printed a URL without a token: ${url}`);
      return { url, origin: parsed.origin, token, runDir, netns, importDir: paths.importDir, stateDir: paths.stateDir, socket: paths.socket };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\n--- helper.log ---\n${await tailLog(runDir, 'helper.log')}\n--- web.log ---\n${await tailLog(runDir, 'web.log')}`);
    }
  }

  /** (Re)starts the helper on the stack's socket and state dir; resolves once it listens. */
  async startHelper(): Promise<void> {
    const paths = this.requirePaths();
    if (this.helper && isRunning(this.helper)) throw new Error('the helper is already running');
    // The helper lives in a network namespace of the stack's own, so the networks the UI
    // creates (bridges, nftables, dnsmasq) never touch this machine's interfaces.
    this.helper = this.spawnLogged(
      'helper',
      [
        paths.helperScript,
        '--socket', paths.socket,
        '--state-dir', paths.stateDir,
        '--run-dir', join(paths.runDir, 'run'),
        '--allowed-root', TEST_GUEST_CACHE,
        '--allowed-root', paths.importDir,
      ],
      paths.netns,
    );
    await waitFor(`the helper socket ${paths.socket}`, this.timeoutMs, this.helper, () => accepts(paths.socket));
  }

  /** Stops the helper alone (SIGTERM, then SIGKILL), as when it crashes or is restarted. */
  async stopHelper(): Promise<void> {
    await stopProcess(this.helper);
    this.helper = null;
  }

  /**
   * Stops web mode, then the helper, keeps the logs, removes the run dir. Safe to call twice.
   * Throws (after cleaning up) when the helper had died on its own: a daemon crash during
   * the run is a failure even when every test happened to pass.
   */
  async stop(): Promise<void> {
    const helper = this.helper;
    const died = helper && !isRunning(helper) ? `the helper died during the run (${helper.signalCode ?? `exit ${helper.exitCode}`}); see ${this.options.name}-helper.log` : null;
    await stopProcess(this.web);
    await stopProcess(this.helper);
    this.web = this.helper = null;
    await Promise.all(this.logs.map((log) => new Promise<void>((done) => log.end(done))));
    this.logs = [];
    if (this.paths) {
      const { runDir } = this.paths;
      await mkdir(this.options.artifactsDir, { recursive: true });
      for (const name of ['helper.log', 'web.log']) {
        await copyFile(join(runDir, name), join(this.options.artifactsDir, `${this.options.name}-${name}`)).catch(() => {});
      }
      await rm(runDir, { recursive: true, force: true });
      // Deleting the namespace removes every bridge and veth the tests made in it.
      spawnSync('ip', ['netns', 'delete', this.paths.netns]);
      this.paths = null;
    }
    process.removeListener('exit', this.onExit);
    if (died) throw new Error(died);
  }

  private requirePaths(): Paths {
    if (!this.paths) throw new Error('the stack is not started');
    return this.paths;
  }

  private spawnLogged(name: 'helper' | 'web', args: string[], netns?: string): ChildProcess {
    const { runDir } = this.requirePaths();
    // Appending: a restarted helper continues the same log.
    const log = createWriteStream(join(runDir, `${name}.log`), { flags: 'a' });
    this.logs.push(log);
    // nsenter joins only the network namespace; `ip netns exec` would also remount /sys,
    // hiding the cgroup mounts the OCI runtime needs for capsules.
    const argv = netns ? ['nsenter', `--net=/run/netns/${netns}`, process.execPath, ...args] : [process.execPath, ...args];
    const [file, ...rest] = argv as [string, ...string[]];
    const child = spawn(file, rest, {
      cwd: this.options.repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOVA_LOG_LEVEL: process.env.NOVA_LOG_LEVEL ?? 'info', ...(name === 'web' ? this.options.webEnv : this.options.helperEnv) },
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    return child;
  }

  private killNow(): void {
    for (const child of [this.web, this.helper]) {
      if (child && isRunning(child)) child.kill('SIGKILL');
    }
    if (this.paths) spawnSync('ip', ['netns', 'delete', this.paths.netns]);
  }
}

/** One more `nova web`, on a port of its own, in front of a running stack's helper. */
export interface ExtraWebMode {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts another `nova web` for the stack (its log goes to `<name>.log` in the run dir). */
export async function startExtraWeb(info: NovaStackInfo, repoRoot: string, name: string, timeoutMs = 30_000): Promise<ExtraWebMode> {
  const args = [join(repoRoot, 'out/cli/nova.mjs'), '--socket', info.socket, '--state-dir', info.stateDir, '--no-autostart', 'web', '--port', '0'];
  if (process.env.NOVA_E2E_RENDERER_DIR) args.push('--renderer-dir', resolve(process.env.NOVA_E2E_RENDERER_DIR));
  const log = createWriteStream(join(info.runDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    await new Promise<void>((done) => log.end(done));
  };
  try {
    const url = await readPrintedUrl(child, timeoutMs);
    const parsed = new URL(url);
    return { url, origin: parsed.origin, token: parsed.searchParams.get('token') ?? '', process: child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Whether something accepts connections on the unix socket (a stale socket file does not). */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect(path);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(what: string, timeoutMs: number, child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(child)) {
      throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${what} appeared`);
    }
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not appear within ${timeoutMs} ms`);
}

/** Reads `Nova web UI: http://…` from web mode's stdout, bounded by timeoutMs. */
function readPrintedUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const done = (err: Error | null, url?: string): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolvePromise(url ?? '');
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const match = /Nova web UI: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(buffered);
      if (match?.[1]) done(null, match[1]);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      done(new Error(`nova web exited (${code ?? signal}) before printing its URL; stdout so far: ${buffered}`));
    const timer = setTimeout(
      () => done(new Error(`nova web printed no URL within ${timeoutMs} ms; stdout so far: ${buffered}`)),
      timeoutMs,
    );
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || !isRunning(child)) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2_000)]);
  }
}

/** The last lines of a log in the run dir, for error messages. */
async function tailLog(runDir: string, name: string, lines = 20): Promise<string> {
  const text = await readFile(join(runDir, name), 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}
