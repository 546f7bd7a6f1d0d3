// Opens a VM's SPICE display in remote-viewer (package virt-viewer) on the host main runs
// on: main always sits on the user's own machine (Electron, or web mode on 127.0.0.1), so
// it can start the viewer in its own session. The helper reports the socket (and hands it
// to this user when QEMU runs as root); a saved host's VM is reached through a relay of
// this user's own (hosts/spice-relay.ts) that lives as long as the viewer. This module
// refuses clearly when that cannot work.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { NovaError } from '../../src-shared/errors.js';
import type { ViewerSupport } from '../../src-shared/api/app-api.js';
import type { VmConsoleInfo, VmInfo } from '../../src-shared/vm.js';
import { LOCAL_HOST } from '../../src-shared/vocabulary/index.js';
import type { SpiceRelay } from './hosts/spice-relay.js';

export const REMOTE_VIEWER = 'remote-viewer';
const INSTALL_HINT = 'install virt-viewer (apt install virt-viewer)';
/** A viewer that cannot open its display exits within a few hundred ms; one that stays this long is up. */
const DEFAULT_SETTLE_MS = 1000;

export interface SpawnedViewer {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RemoteViewerDeps {
  /** What the VM's own host says: `host` is `local` or a saved host's name. */
  consoleInfo: (name: string, host: string) => Promise<VmConsoleInfo>;
  vmInfo: (name: string, host: string) => Promise<VmInfo>;
  /** A local socket carrying a saved host's VM's SPICE display; without it, remote VMs are refused. */
  openRelay?: (host: string, name: string) => Promise<SpiceRelay>;
  /** The environment the viewer inherits and PATH/DISPLAY come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where each viewer writes its output, one log per VM (default ~/.local/state/nova/remote-viewer). */
  logDir?: string;
  settleMs?: number;
  /** Starts the viewer detached; injectable for tests. */
  spawnViewer?: (argv: readonly string[], opts: { env: NodeJS.ProcessEnv; logPath: string }) => Promise<SpawnedViewer>;
}

/** The viewer's command line: the window title names the VM (and its host when not this one) so several viewers stay apart. */
export function remoteViewerArgv(program: string, vmName: string, uri: string, host: string = LOCAL_HOST): string[] {
  return [program, '--title', host === LOCAL_HOST ? `${vmName} (Nova)` : `${vmName} on ${host} (Nova)`, uri];
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

  /**
   * Starts remote-viewer on the VM's SPICE socket (through a relay for a saved host's VM, which
   * ends with the viewer); resolves once it has stayed up for the settle time.
   */
  async open(name: string, host: string = LOCAL_HOST): Promise<{ pid: number; uri: string }> {
    const remote = host !== LOCAL_HOST;
    const where = remote ? `VM ${name} on ${host}` : `VM ${name}`;
    const spice = await this.spiceOf(name, host);
    const program = await findOnPath(REMOTE_VIEWER, this.env.PATH);
    if (!program) throw new NovaError('unsupported', `Cannot open the display of ${where}: ${this.notInstalled()}`, { uri: spice.uri });
    if (!sessionDisplay(this.env)) throw new NovaError('unsupported', `Cannot open the display of ${where}: ${this.noDisplay()}`, { uri: spice.uri });
    if (remote && !this.deps.openRelay) throw new NovaError('unavailable', `This Nova keeps no connections to other hosts, so it cannot open the display of ${where}`);
    if (!remote) await this.checkSocket(name, spice.socket);

    const logDir = this.deps.logDir ?? join(this.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'nova', 'remote-viewer');
    await mkdir(logDir, { recursive: true, mode: 0o700 });
    const logPath = join(logDir, remote ? `${name}@${host}.log` : `${name}.log`);
    const relay = remote ? await this.deps.openRelay!(host, name) : null;
    const uri = relay?.uri ?? spice.uri;
    const argv = remoteViewerArgv(program, name, uri, host);
    let viewer: SpawnedViewer;
    try {
      viewer = await (this.deps.spawnViewer ?? spawnDetached)(argv, { env: viewerEnv(this.env), logPath });
    } catch (err) {
      await relay?.close();
      throw new NovaError('unavailable', `Cannot start ${program} for ${where}: ${(err as Error).message}; check that virt-viewer is installed correctly`);
    }
    // The relay is the viewer's alone: it goes when the viewer does.
    if (relay) void viewer.exited.then(() => relay.close());
    const settled = await Promise.race([
      viewer.exited,
      new Promise<null>((r) => setTimeout(() => r(null), this.deps.settleMs ?? DEFAULT_SETTLE_MS).unref()),
    ]);
    if (settled) {
      const how = settled.signal ? `was killed by ${settled.signal}` : `exited with code ${settled.code}`;
      const said = await lastLines(logPath);
      throw new NovaError(
        'unavailable',
        `remote-viewer ${how} right after starting for ${where}${said ? `: ${said}` : ''}. Its log is ${logPath}; check that this session's display (${sessionDisplay(this.env)}) is reachable`,
      );
    }
    return { pid: viewer.pid, uri };
  }

  private notInstalled(): string {
    return `remote-viewer is not installed on this host: ${INSTALL_HINT}, or copy the remote-viewer command from the VM page to another SPICE client`;
  }

  private noDisplay(): string {
    return `Nova (pid ${process.pid}) runs without a graphical session (neither WAYLAND_DISPLAY nor DISPLAY is set), so it has nowhere to show remote-viewer: start Nova from your desktop session, or run the remote-viewer command from the VM page yourself`;
  }

  private async spiceOf(name: string, host: string): Promise<{ socket: string; uri: string }> {
    const consoles = await this.deps.consoleInfo(name, host);
    if (consoles.spice) {
      if (!isAbsolute(consoles.spice.socket) || !/^[\w./+-]+$/.test(consoles.spice.socket)) {
        // The URI carries the path unescaped; the helper's own run dir never needs escaping.
        throw new NovaError('internal', `VM ${name}'s SPICE socket path ${JSON.stringify(consoles.spice.socket)} cannot be put in a spice+unix:// URI; use a plain runtime directory for the helper`);
      }
      return consoles.spice;
    }
    const vm = await this.deps.vmInfo(name, host);
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
