// Opens a VM's SPICE display in remote-viewer (package virt-viewer) on the host main runs
// on: main always sits on the user's own machine (Electron, or web mode on 127.0.0.1), so
// it can start the viewer in its own session. The helper reports the socket (and hands it
// to this user when QEMU runs as root); this module refuses clearly when that cannot work.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { NovaError } from '../../src-shared/errors.js';
import type { ViewerSupport } from '../../src-shared/api/app-api.js';
import type { VmConsoleInfo, VmInfo } from '../../src-shared/vm.js';

export const REMOTE_VIEWER = 'remote-viewer';
const INSTALL_HINT = 'install virt-viewer (apt install virt-viewer)';
/** A viewer that cannot open its display exits within a few hundred ms; one that stays this long is up. */
const DEFAULT_SETTLE_MS = 1000;

export interface SpawnedViewer {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RemoteViewerDeps {
  consoleInfo: (name: string) => Promise<VmConsoleInfo>;
  vmInfo: (name: string) => Promise<VmInfo>;
  /** The environment the viewer inherits and PATH/DISPLAY come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where each viewer writes its output, one log per VM (default ~/.local/state/nova/remote-viewer). */
  logDir?: string;
  settleMs?: number;
  /** Starts the viewer detached; injectable for tests. */
  spawnViewer?: (argv: readonly string[], opts: { env: NodeJS.ProcessEnv; logPath: string }) => Promise<SpawnedViewer>;
}

/** The viewer's command line: the window title names the VM so several viewers stay apart. */
export function remoteViewerArgv(program: string, vmName: string, uri: string): string[] {
  return [program, '--title', `${vmName} (Nova)`, uri];
}

/** The session a GUI program started by main would appear in; Wayland first, as GTK picks it. */
export function sessionDisplay(env: NodeJS.ProcessEnv): string | null {
  return env.WAYLAND_DISPLAY || env.DISPLAY || null;
}

/** An executable named `cmd` in PATH's absolute entries, or null. */
export async function findOnPath(cmd: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative entry would depend on main's working directory
    const candidate = join(dir, cmd);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export class RemoteViewerLauncher {
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly deps: RemoteViewerDeps) {
    this.env = deps.env ?? process.env;
  }

  async support(): Promise<ViewerSupport> {
    const program = await findOnPath(REMOTE_VIEWER, this.env.PATH);
    const display = sessionDisplay(this.env);
    const problem = !program ? this.notInstalled() : !display ? this.noDisplay() : null;
    return { available: problem === null, program, display, problem };
  }

  /** Starts remote-viewer on the VM's SPICE socket; resolves once it has stayed up for the settle time. */
  async open(name: string): Promise<{ pid: number; uri: string }> {
    const spice = await this.spiceOf(name);
    const program = await findOnPath(REMOTE_VIEWER, this.env.PATH);
    if (!program) throw new NovaError('unsupported', `Cannot open the display of VM ${name}: ${this.notInstalled()}`, { uri: spice.uri });
    if (!sessionDisplay(this.env)) throw new NovaError('unsupported', `Cannot open the display of VM ${name}: ${this.noDisplay()}`, { uri: spice.uri });
    await this.checkSocket(name, spice.socket);

    const logDir = this.deps.logDir ?? join(this.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'nova', 'remote-viewer');
    await mkdir(logDir, { recursive: true, mode: 0o700 });
    const logPath = join(logDir, `${name}.log`);
    const argv = remoteViewerArgv(program, name, spice.uri);
    let viewer: SpawnedViewer;
    try {
      viewer = await (this.deps.spawnViewer ?? spawnDetached)(argv, { env: viewerEnv(this.env), logPath });
    } catch (err) {
      throw new NovaError('unavailable', `Cannot start ${program} for VM ${name}: ${(err as Error).message}; check that virt-viewer is installed correctly`);
    }
    const settled = await Promise.race([
      viewer.exited,
      new Promise<null>((r) => setTimeout(() => r(null), this.deps.settleMs ?? DEFAULT_SETTLE_MS).unref()),
    ]);
    if (settled) {
      const how = settled.signal ? `was killed by ${settled.signal}` : `exited with code ${settled.code}`;
      const said = await lastLines(logPath);
      throw new NovaError(
        'unavailable',
        `remote-viewer ${how} right after starting for VM ${name}${said ? `: ${said}` : ''}. Its log is ${logPath}; check that this session's display (${sessionDisplay(this.env)}) is reachable`,
      );
    }
    return { pid: viewer.pid, uri: spice.uri };
  }

  private notInstalled(): string {
    return `remote-viewer is not installed on this host: ${INSTALL_HINT}, or copy the remote-viewer command from the VM page to another SPICE client`;
  }

  private noDisplay(): string {
    return `Nova (pid ${process.pid}) runs without a graphical session (neither WAYLAND_DISPLAY nor DISPLAY is set), so it has nowhere to show remote-viewer: start Nova from your desktop session, or run the remote-viewer command from the VM page yourself`;
  }

  private async spiceOf(name: string): Promise<{ socket: string; uri: string }> {
    const consoles = await this.deps.consoleInfo(name);
    if (consoles.spice) {
      if (!isAbsolute(consoles.spice.socket) || !/^[\w./+-]+$/.test(consoles.spice.socket)) {
        // The URI carries the path unescaped; the helper's own run dir never needs escaping.
        throw new NovaError('internal', `VM ${name}'s SPICE socket path ${JSON.stringify(consoles.spice.socket)} cannot be put in a spice+unix:// URI; use a plain runtime directory for the helper`);
      }
      return consoles.spice;
    }
    const vm = await this.deps.vmInfo(name);
    const d = vm.definition;
    if (vm.state !== 'running' && vm.state !== 'paused') {
      throw new NovaError('failed_precondition', `VM ${name} is ${vm.state}: start it, then open its display`);
    }
    if (d.machine === 'microvm') {
      throw new NovaError('failed_precondition', `VM ${name} is a microvm, which has no graphical display: use its serial console`);
    }
    if (!d.display.spice) {
      const vnc = d.display.vnc ? ' (it has VNC: use Open console)' : '';
      throw new NovaError('failed_precondition', `VM ${name} has no SPICE display${vnc}: set its display to "spice" or "both" in its settings and restart it`);
    }
    throw new NovaError('failed_precondition', `VM ${name} was started without its SPICE display: restart it`);
  }

  private async checkSocket(name: string, socket: string): Promise<void> {
    try {
      // connect() needs write permission on the socket file; checking it here names the cause.
      await access(socket, constants.R_OK | constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new NovaError('failed_precondition', `VM ${name}'s SPICE socket ${socket} is gone: the VM may have just stopped; start it again`);
      }
      throw new NovaError(
        'failed_precondition',
        `This user (uid ${process.getuid?.() ?? '?'}) cannot open VM ${name}'s SPICE socket ${socket} (${code ?? (err as Error).message}): it belongs to whoever started the VM; open it as that user, or restart the VM as this one`,
      );
    }
  }
}

/** main's environment minus Electron's own switches, which would change how a GTK program starts. */
function viewerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('ELECTRON_')));
}

/** Detached in its own session, so closing Nova leaves the viewer open; output to its log. */
async function spawnDetached(argv: readonly string[], opts: { env: NodeJS.ProcessEnv; logPath: string }): Promise<SpawnedViewer> {
  const log = await open(opts.logPath, 'w', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log.fd, log.fd], env: opts.env });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return { pid: child.pid!, exited };
  } finally {
    await log.close();
  }
}

async function lastLines(path: string, count = 3): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ')
    .slice(0, 600);
}
