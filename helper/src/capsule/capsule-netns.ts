// A capsule's network namespace. In a user namespace, the network namespace is made from
// inside the capsule's own user namespace so that it owns it: runc (1.1 too) can then join
// both on `run` and on `exec`, and mount a fresh sysfs. Both stay as nsfs bind mounts (the
// network one at /run/netns/NAME, where `ip -n NAME` and veth moves find it; the user one at
// /run/nova/userns/NAME) until the capsule leaves its network. Without one: `ip netns add`.
import type { ChildProcessByStdio } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { NovaError } from '../../../src-shared/errors.js';
import { lastLine, type ProcessRunner } from '../process/process-runner.js';
import type { IdMapping } from './oci-config.js';

export const DEFAULT_NETNS_DIR = '/run/netns';
export const DEFAULT_USERNS_DIR = '/run/nova/userns';
const STEP_TIMEOUT_MS = 10_000;

/**
 * A short-lived process inside the new namespaces, kept until host root has written its id
 * maps (only a process in a user namespace gives access to its /proc/PID/uid_map).
 */
export interface NamespaceHolder {
  readonly pid: number;
  /** Resolves once the namespaces exist and their files are bound. */
  ready(timeoutMs: number): Promise<void>;
  /** Lets the holder exit; resolves with its exit status. */
  release(timeoutMs: number): Promise<number>;
  kill(): void;
}

export type HolderSpawner = (argv: readonly string[]) => Promise<NamespaceHolder>;

/**
 * unshare makes the user namespace and, in the same call, the network namespace it owns.
 * `--mount` matters: only then does unshare bind the namespace files from a child left in
 * the host's namespaces (the process itself has no right to mount once it is in the new
 * user namespace); the extra mount namespace dies with `cat`. `cat` echoes a line back when
 * it runs, which tells that the files are bound, and exits when its stdin closes.
 */
export function holderArgv(usernsFile: string, netnsFile: string): string[] {
  return ['unshare', `--user=${usernsFile}`, `--net=${netnsFile}`, '--mount', '--', 'cat'];
}

/** Container id 0.. maps to the range; written by host root, so setgroups stays allowed. */
export function idMapText(m: IdMapping): string {
  return `0 ${m.hostId} ${m.size}\n`;
}

/**
 * A directory of namespace files is a mount point of its own, made shared, as `ip netns`
 * makes /run/netns: mount namespaces copied later (`ip netns exec`, a runtime's) then see
 * the unmount of a namespace file too, so the namespace is freed rather than kept by a copy.
 */
export function mountPointArgvs(dir: string): string[][] {
  return [
    ['mount', '--bind', dir, dir],
    ['mount', '--make-rshared', dir],
  ];
}

export function umountArgv(path: string): string[] {
  return ['umount', path];
}

export function netnsDeleteArgv(name: string): string[] {
  return ['ip', 'netns', 'delete', name];
}

export function netnsAddArgv(name: string): string[] {
  return ['ip', 'netns', 'add', name];
}

/** A fresh namespace's loopback is down; a capsule expects it up, as Docker leaves it. */
export function loopbackUpArgv(netns: string): string[] {
  return ['ip', '-n', netns, 'link', 'set', 'dev', 'lo', 'up'];
}

/** Mount points (field 5 of mountinfo, octal escapes decoded) and their filesystem types. */
export function parseMountinfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 5 || dash < 0) continue;
    const point = f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.set(point, f[dash + 1] ?? '');
  }
  return out;
}

export interface CapsuleNamespacesOptions {
  runner: Pick<ProcessRunner, 'run' | 'spawnDetached'>;
  netnsDir?: string;
  usernsDir?: string;
  /** Starts the holder process (tests may fake it). */
  spawnHolder?: HolderSpawner;
  /** Reads /proc/self/mountinfo (tests may fake it). */
  readMountinfo?: () => Promise<string>;
  /** Writes a holder's uid_map or gid_map (tests may fake it). */
  writeIdMap?: (pid: number, file: 'uid_map' | 'gid_map', text: string) => Promise<void>;
}

export class CapsuleNamespaces {
  readonly netnsDir: string;
  readonly usernsDir: string;
  private readonly dirsReady = new Map<string, Promise<void>>();

  constructor(private readonly o: CapsuleNamespacesOptions) {
    this.netnsDir = o.netnsDir ?? DEFAULT_NETNS_DIR;
    this.usernsDir = o.usernsDir ?? DEFAULT_USERNS_DIR;
  }

  netnsPath(name: string): string {
    return join(this.netnsDir, name);
  }

  usernsPath(name: string): string {
    return join(this.usernsDir, name);
  }

  /** A fresh network namespace named `name`, owned by a new user namespace with `mapping` when given. */
  async create(name: string, mapping: IdMapping | null): Promise<void> {
    // Anything under this name is a leftover of this capsule (a crash, a killed helper).
    await this.remove(name);
    if (!mapping) {
      await this.o.runner.run({ argv: netnsAddArgv(name), timeoutMs: STEP_TIMEOUT_MS });
      return;
    }
    const userFile = this.usernsPath(name);
    const netFile = this.netnsPath(name);
    let holder: NamespaceHolder | null = null;
    try {
      await Promise.all([this.ensureMountPoint(this.netnsDir), this.ensureMountPoint(this.usernsDir)]);
      // Mount targets must exist; `wx` refuses a file some other process made meanwhile.
      await writeFile(userFile, '', { flag: 'wx', mode: 0o444 });
      await writeFile(netFile, '', { flag: 'wx', mode: 0o444 });
      holder = await (this.o.spawnHolder ?? ((argv) => spawnCatHolder(this.o.runner, argv)))(holderArgv(userFile, netFile));
      await holder.ready(STEP_TIMEOUT_MS);
      const text = idMapText(mapping);
      const write = this.o.writeIdMap ?? writeProcIdMap;
      await write(holder.pid, 'uid_map', text);
      await write(holder.pid, 'gid_map', text);
      const status = await holder.release(STEP_TIMEOUT_MS);
      holder = null;
      if (status !== 0) throw new Error(`unshare exited with status ${status}`);
      const mounts = parseMountinfo(await this.mountinfo());
      for (const f of [userFile, netFile]) {
        if (mounts.get(f) !== 'nsfs') throw new Error(`${f} is not bound to a namespace after unshare`);
      }
    } catch (err) {
      holder?.kill();
      await this.remove(name).catch(() => undefined);
      const why = err instanceof Error ? err.message : String(err);
      throw new NovaError(
        'failed_precondition',
        `Could not make network namespace ${name} inside a user namespace (uid 0 -> ${mapping.hostId}): ${why}; ` +
          'check that util-linux unshare is installed and that the kernel allows user namespaces, or create the capsule with userNamespace off',
      );
    }
  }

  /** Removes both namespace files; idempotent, and a no-op for what is already gone. */
  async remove(name: string): Promise<void> {
    const netFile = this.netnsPath(name);
    const userFile = this.usernsPath(name);
    const mounts = parseMountinfo(await this.mountinfo());
    // `ip netns delete` unmounts and unlinks as it does for any named namespace.
    if (mounts.has(netFile)) await this.o.runner.run({ argv: netnsDeleteArgv(name), timeoutMs: STEP_TIMEOUT_MS, allowFailure: true });
    if (mounts.has(userFile)) {
      const r = await this.o.runner.run({ argv: umountArgv(userFile), timeoutMs: STEP_TIMEOUT_MS, allowFailure: true });
      if (r.exitCode !== 0) {
        throw new NovaError('internal', `Could not unmount the user namespace file ${userFile}: ${lastLine(r.stderr) || `exit ${r.exitCode}`}; unmount it by hand (umount ${userFile})`);
      }
    }
    // A file left unmounted by a crash between create and bind; one still mounted stays (EBUSY).
    await rm(netFile, { force: true }).catch(() => undefined);
    await rm(userFile, { force: true });
  }

  private mountinfo(): Promise<string> {
    return (this.o.readMountinfo ?? (() => readFile('/proc/self/mountinfo', 'utf8')))();
  }

  /** Once per directory and helper: mkdir, and bind it onto itself unless it already is a mount point. */
  private ensureMountPoint(dir: string): Promise<void> {
    let p = this.dirsReady.get(dir);
    if (!p) {
      p = (async () => {
        await mkdir(dir, { recursive: true, mode: 0o755 });
        if (parseMountinfo(await this.mountinfo()).has(dir)) return;
        for (const argv of mountPointArgvs(dir)) await this.o.runner.run({ argv, timeoutMs: STEP_TIMEOUT_MS });
      })();
      p.catch(() => this.dirsReady.delete(dir));
      this.dirsReady.set(dir, p);
    }
    return p;
  }
}

async function writeProcIdMap(pid: number, file: 'uid_map' | 'gid_map', text: string): Promise<void> {
  await writeFile(`/proc/${pid}/${file}`, text);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The real holder: unshare running `cat` on pipes, started as every tool is (fixed environment, fds 0-2). */
export async function spawnCatHolder(runner: Pick<ProcessRunner, 'spawnDetached'>, argv: readonly string[]): Promise<NamespaceHolder> {
  const child = (await runner.spawnDetached({ argv, stdio: ['pipe', 'pipe', 'pipe'], detached: false })) as ChildProcessByStdio<Writable, Readable, Readable>;
  const file = argv[0] ?? 'unshare';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve(-1);
    });
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
  });
  const failure = (status: number) => new Error(`${file} failed (status ${status}): ${lastLine(stderr) || 'no message'}`);
  const echoed = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void exited.then((status) => reject(failure(status)));
  });
  echoed.catch(() => undefined);
  child.stdin.on('error', () => undefined);
  return {
    pid: child.pid ?? -1,
    ready: (ms) => {
      child.stdin.write('ready\n');
      return withTimeout(echoed, ms, `${file} making the namespaces`);
    },
    release: async (ms) => {
      child.stdin.end();
      const status = await withTimeout(exited, ms, `${file} exiting`);
      if (status !== 0) throw failure(status);
      return status;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
